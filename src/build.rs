//! Rebuilds when a migration is added: `sqlx::migrate!` embeds the folder, but cargo only watches
//! the sources it compiles, so without this a new migration file would not reach the binary.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

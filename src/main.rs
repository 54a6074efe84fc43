#[tokio::main]
async fn main() -> std::process::ExitCode {
    debrief::server::main().await
}

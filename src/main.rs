#[tokio::main]
async fn main() -> std::process::ExitCode {
    debrief::startup::main().await
}

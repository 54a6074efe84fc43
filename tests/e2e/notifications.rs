use crate::browser::Browser;
use crate::common::{spawn, PASSWORD};
use crate::support::webhook_receiver;
use sqlx::PgPool;

/// Without JavaScript an admin adds a signed JSON destination (a mistake is named and the rest of
/// the form stays; the secret shows once), sends a test and sees it delivered; then removes it.
#[sqlx::test(migrations = "./migrations")]
async fn an_admin_adds_a_destination_tests_it_and_removes_it_without_javascript(pool: PgPool) {
    let app = spawn(pool).await;
    app.admin("ada@example.com", "Ada").await;
    let (hook, mut received) = webhook_receiver().await;
    let b = Browser::without_javascript().await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    b.goto(&app.url("/settings/notifications")).await;
    b.fill("#destination-name", "Security SIEM").await;
    b.find("#destination-kind option[value=signed_json]").await.click().await.unwrap();
    b.fill("#destination-url", "ftp://siem.example/in").await;
    b.find("input[name='events[]'][value=action_overdue]").await.click().await.unwrap();
    b.press("Add destination").await;
    b.until_text("#url-error", "http").await;
    assert_eq!(b.find("#destination-name").await.prop("value").await.unwrap().as_deref(), Some("Security SIEM"));
    let overdue = b.find("input[name='events[]'][value=action_overdue]").await;
    assert_eq!(overdue.prop("checked").await.unwrap().as_deref(), Some("true"), "the ticked boxes stay ticked");

    b.fill("#destination-url", &hook).await;
    b.press("Add destination").await;
    b.until_text("[data-testid=secret]", "copy it now").await;
    let secret = b.text("code.secret").await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    b.until_text("[data-testid=destination]", "Security SIEM").await;
    b.goto(&app.url("/settings/notifications")).await;
    assert!(!b.c.source().await.unwrap().contains(&secret), "the secret is shown once");
    assert!(!b.c.source().await.unwrap().contains(&hook), "the address is never shown");

    b.press("Send test to Security SIEM").await;
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv()).await.unwrap().unwrap();
    assert_eq!(got["event"], "test");
    b.until("the test to show as delivered", || async {
        b.goto(&app.url("/settings/notifications")).await;
        b.text("[data-testid=deliveries]").await.contains("delivered")
    })
    .await;
    b.press("Remove Security SIEM").await;
    b.until_text("[data-testid=destination]", "Removed").await;
    b.quit().await;
}

//! Mail over SMTP (lettre): the operator's server, from the environment. Messages have a plain-text
//! and an HTML part; every piece of user text in the HTML part was escaped when the message was made.
//! The password never reaches a log line, and failures are told by kind.

use crate::domain::notify::Mail;
use lettre::message::{header, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How to reach the SMTP server.
#[derive(Clone)]
pub struct MailConfig {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub tls: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MailConfig({}:{} {} as {:?})", self.host, self.port, self.tls, self.username)
    }
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer(from {})", self.from)
    }
}

impl Mailer {
    /// A bad setting is an error naming it, at start-up.
    pub fn new(c: &MailConfig) -> Result<Self, String> {
        let from: Mailbox = c.from.parse().map_err(|e| format!("DEBRIEF_SMTP_FROM {:?}: {e}", c.from))?;
        let builder = match c.tls.as_str() {
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host),
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host),
            "none" => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host)),
            other => return Err(format!("DEBRIEF_SMTP_TLS {other:?}: use starttls, tls or none")),
        }
        .map_err(|e| format!("DEBRIEF_SMTP_HOST {:?}: {e}", c.host))?;
        let mut builder = builder.port(c.port).timeout(Some(Duration::from_secs(15)));
        if let (Some(user), Some(password)) = (&c.username, &c.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer { transport: builder.build(), from })
    }

    /// Sends one message to `to`; `unsubscribe` is the one-click address of a personal mail.
    pub async fn send(&self, to: &str, mail: &Mail, unsubscribe: Option<&str>) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|_| "the recipient's address is not valid".to_string())?;
        // A subject is one line: a line break typed into a title must not start a new header.
        let subject: String = mail.subject.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let mut builder = Message::builder().from(self.from.clone()).to(to).subject(subject);
        if let Some(url) = unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost("List-Unsubscribe=One-Click".into()));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| format!("the message could not be made: {e}"))?;
        let result = self.transport.send(message).await.map(|_| ()).map_err(describe);
        let outcome = if result.is_ok() { "delivered" } else { "failed" };
        metrics::counter!(super::metrics::MAILS, "result" => outcome).increment(1);
        result
    }
}

/// The failure's kind and the server's answer code, never the credentials.
fn describe(e: lettre::transport::smtp::Error) -> String {
    if let Some(code) = e.status() {
        format!("the mail server refused the message ({code})")
    } else if e.is_timeout() {
        "the mail server did not answer in time".into()
    } else if e.is_tls() {
        "the TLS connection to the mail server failed".into()
    } else {
        "the mail server is unreachable".into()
    }
}

macro_rules! text_header {
    ($name:ident, $text:literal) => {
        #[derive(Clone)]
        struct $name(String);

        impl header::Header for $name {
            fn name() -> header::HeaderName {
                header::HeaderName::new_from_ascii_str($text)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($name(s.to_string()))
            }
            fn display(&self) -> header::HeaderValue {
                header::HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

// RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs to the address.
text_header!(ListUnsubscribe, "List-Unsubscribe");
text_header!(ListUnsubscribePost, "List-Unsubscribe-Post");

//! The status page: the service catalogue (admins keep it), each service's state from its open
//! incidents, and the updates feed. Private incidents and unconfirmed alerts (triage, declined)
//! never appear. An admin setting lets it be read without signing in.

use super::access::require_admin;
use super::audit::{self, Object};
use super::db;
use crate::domain::accounts::AuditAction;
use crate::domain::status::{self, Service, ServiceInput, StatusPage};
use crate::domain::User;
use crate::error::{internal, AppError, AppResult};
use chrono::Utc;
use sqlx::PgPool;

const PUBLIC_KEY: &str = "status_page_public";

/// Whether the page may be read without signing in. A stored value that no longer reads is an error
/// naming the setting.
pub async fn is_public(db: impl sqlx::PgExecutor<'_>) -> AppResult<bool> {
    match db::postmortems::setting(db, PUBLIC_KEY).await?.as_deref() {
        Some("true") => Ok(true),
        Some("false") | None => Ok(false),
        Some(other) => Err(internal(format!("setting {PUBLIC_KEY}: {other:?} is neither true nor false"))),
    }
}

/// Anyone signed in may read it; signed out only when the page is public.
async fn may_read(pool: &PgPool, viewer: Option<&User>) -> AppResult<()> {
    if viewer.is_none() && !is_public(pool).await? {
        return Err(AppError::Unauthorized);
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn page(pool: &PgPool, viewer: Option<&User>) -> AppResult<StatusPage> {
    may_read(pool, viewer).await?;
    let now = Utc::now();
    let mut conn = pool.acquire().await?;
    let catalogue = db::status::services(&mut *conn).await?;
    let since = now - chrono::Duration::days(status::RESOLVED_DAYS);
    let incidents = db::status::incidents(&mut *conn, since).await?;
    Ok(status::build(&catalogue, incidents, now))
}

/// The catalogue, for anyone signed in (the declare form can offer its names).
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn services(pool: &PgPool, user: &User) -> AppResult<Vec<Service>> {
    db::status::services(pool).await
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn add_service(pool: &PgPool, user: &User, input: &ServiceInput) -> AppResult<Service> {
    require_admin(user)?;
    let (name, team, description) = input.check().map_err(AppError::fields)?;
    let mut tx = pool.begin().await?;
    let Some(id) = db::status::insert_service(&mut *tx, &name, &team, &description, user.id).await? else {
        return Err(AppError::invalid("name", format!("The catalogue already has \u{201c}{name}\u{201d}")));
    };
    let change = serde_json::json!({ "team": team, "description": description });
    audit::record(&mut *tx, user, AuditAction::ServiceAdded, Object::service(id, &name), Some(change)).await?;
    let service = db::status::service(&mut *tx, id).await?.ok_or_else(|| internal("the new service vanished"))?;
    tx.commit().await?;
    Ok(service)
}

/// Takes a service out of the catalogue; incidents naming it still show it while they are open.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn remove_service(pool: &PgPool, user: &User, id: i64) -> AppResult<Service> {
    require_admin(user)?;
    let mut tx = pool.begin().await?;
    let found =
        db::status::service(&mut *tx, id).await?.ok_or_else(|| AppError::NotFound(format!("No service {id}")))?;
    db::status::delete_service(&mut *tx, id).await?;
    audit::record(&mut *tx, user, AuditAction::ServiceRemoved, Object::service(id, &found.name), None).await?;
    tx.commit().await?;
    Ok(found)
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn set_public(pool: &PgPool, user: &User, public: bool) -> AppResult<bool> {
    let mut tx = pool.begin().await?;
    set_public_on(&mut tx, user, public).await?;
    tx.commit().await?;
    Ok(public)
}

/// The same in the caller's transaction (the settings API saves it with the other settings).
pub(super) async fn set_public_on(tx: &mut sqlx::PgConnection, user: &User, public: bool) -> AppResult<()> {
    require_admin(user)?;
    let before = is_public(&mut *tx).await?;
    if before != public {
        db::postmortems::set_setting(&mut *tx, PUBLIC_KEY, if public { "true" } else { "false" }).await?;
        let change = Some(audit::change(PUBLIC_KEY, before, public));
        audit::record(&mut *tx, user, AuditAction::SettingsChanged, Object::setting(PUBLIC_KEY), change).await?;
    }
    Ok(())
}

/// An Atom feed of the latest updates of public, confirmed incidents.
#[tracing::instrument(skip_all)]
pub async fn feed(pool: &PgPool, viewer: Option<&User>) -> AppResult<String> {
    may_read(pool, viewer).await?;
    let base = super::webhook::settings(pool).await?.public_url;
    let updates = db::status::feed_updates(pool, 50).await?;
    Ok(feed_xml(&updates, &base))
}

fn feed_xml(updates: &[db::status::FeedUpdate], base: &str) -> String {
    use super::postmortems::xml_escape as x;
    let stamp = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let updated = updates.first().map(|u| u.created_at).unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!(
        "  <title>Debrief: status updates</title>\n  <id>{b}/status</id>\n  <link rel=\"alternate\" href=\"{b}/status\"/>\n  <link rel=\"self\" href=\"{b}/status/feed.xml\"/>\n  <updated>{}</updated>\n  <author><name>Debrief</name></author>\n",
        stamp(updated),
        b = x(base)
    ));
    for u in updates {
        let reference = crate::domain::incident_ref(u.incident_id);
        let mut text = u.message.clone();
        if !u.impact.is_empty() {
            text.push_str(&format!("\n\nImpact: {}", u.impact));
        }
        out.push_str(&format!(
            "  <entry>\n    <title>{} {}</title>\n    <id>{b}/status#update-{}</id>\n    <link rel=\"alternate\" href=\"{b}/status#{}\"/>\n    <updated>{}</updated>\n    <content type=\"text\">{}</content>\n  </entry>\n",
            x(&reference),
            x(&u.title),
            u.id,
            x(&reference),
            stamp(u.created_at),
            x(&text),
            b = x(base)
        ));
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_is_valid_xml_whatever_an_update_says() {
        let u = db::status::FeedUpdate {
            id: 3,
            incident_id: 7,
            title: "Disk \u{1}full <script>".into(),
            message: "Rolling back & \"watching\" ]]>".into(),
            impact: "Cards <fail>".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let xml = feed_xml(&[u], "https://debrief.example/?a=1&b=<2>");
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
        let atom = "http://www.w3.org/2005/Atom";
        let entry = doc.descendants().find(|n| n.has_tag_name((atom, "entry"))).expect("an entry");
        let text =
            |name: &str| entry.children().find(|n| n.has_tag_name((atom, name))).and_then(|n| n.text()).unwrap_or("");
        assert_eq!(text("title"), "INC-7 Disk full <script>");
        assert_eq!(text("content"), "Rolling back & \"watching\" ]]>\n\nImpact: Cards <fail>");
    }
}

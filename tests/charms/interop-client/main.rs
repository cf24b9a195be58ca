//! interop-client: the Rust side of the interoperation tests with the Python interface
//! libraries (metadata beside it in `charmcraft.yaml`).
//!
//! It holds two interface libraries as components, `tls` (the tls-certificates requirer,
//! unit mode) and `db` (the database requirer, v0), and keeps in its stored state only what
//! their events told it, so that a hook costs the libraries' hook-tool calls and one
//! `status-set` at most: its tool calls per event are the libraries' own, which
//! `benchmarks/compare` sets beside its Python twin's (`tests/charms/py-client`).

use std::process::ExitCode;

use ops::event::Custom;
use ops::prelude::*;
use ops_interface_database::v0::{
    AuthenticationUpdated, DatabaseCreated, DatabaseRequirer, EndpointsChanged,
};
use ops_interface_tls_certificates::v1::{
    CertificateAvailable, CertificateRequest, CertificateRevoked, Mode, TlsRequirer,
};

/// The common name each unit asks a certificate for.
const COMMON_NAME: &str = "interop-client.test";

struct InteropClient {
    tls: TlsRequirer,
    db: DatabaseRequirer,
}

/// What the libraries' events said, for the status.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Stored {
    /// `certificate for <CN> from <CA subject>`, once one is available.
    #[serde(default)]
    certificate: Option<String>,
    /// `database <name> as <user> at <endpoints>`, once the credentials are shared.
    #[serde(default)]
    database: Option<String>,
}

impl Charm for InteropClient {
    type Stored = Stored;

    fn observe(on: &mut Observers<Self>) {
        on.component("tls", |c: &mut Self| &mut c.tls);
        on.component("db", |c: &mut Self| &mut c.db);
        on.custom::<CertificateAvailable>("tls", "on_certificate", on_certificate);
        on.custom::<CertificateRevoked>("tls", "on_certificate_revoked", |_, ctx, _| {
            ctx.stored_mut().certificate = None;
            Ok(())
        });
        on.custom::<DatabaseCreated>("db", "on_database_created", |c, ctx, ev| {
            c.on_database(ctx, ev.relation_id)
        });
        on.custom::<EndpointsChanged>("db", "on_endpoints_changed", |c, ctx, ev| {
            c.on_database(ctx, ev.relation_id)
        });
        on.custom::<AuthenticationUpdated>("db", "on_authentication_updated", |c, ctx, ev| {
            c.on_database(ctx, ev.relation_id)
        });
        on.relation_broken("certificates", "on_certificates_broken", |_, ctx, _| {
            ctx.stored_mut().certificate = None;
            Ok(())
        });
        on.relation_broken("database", "on_database_broken", |_, ctx, _| {
            ctx.stored_mut().database = None;
            Ok(())
        });
        on.collect_unit_status("collect_unit_status", |_, ctx, _| {
            let stored = ctx.stored();
            let parts: Vec<String> = [
                stored
                    .certificate
                    .clone()
                    .unwrap_or("no certificate yet".into()),
                stored.database.clone().unwrap_or("no database yet".into()),
            ]
            .into();
            let both = stored.certificate.is_some() && stored.database.is_some();
            let message = parts.join("; ");
            ctx.add_unit_status(if both {
                Status::active(message)
            } else {
                Status::waiting(message)
            })?;
            Ok(())
        });
    }
}

/// Remembers the certificate's subject and its CA's.
fn on_certificate(
    _: &mut InteropClient,
    ctx: &mut Ctx<InteropClient>,
    ev: &mut Custom<CertificateAvailable>,
) -> HandlerResult {
    let subject = |pem: &str| -> String {
        x509_subject_cn(pem).unwrap_or_else(|| "an unreadable subject".into())
    };
    let line = format!(
        "certificate for {} from {}",
        subject(&ev.certificate),
        subject(&ev.ca)
    );
    tracing::info!("{line}");
    ctx.stored_mut().certificate = Some(line);
    Ok(())
}

impl InteropClient {
    /// Reads the credentials the provider shared (from its secret) and remembers where and
    /// as whom: never the password.
    fn on_database(&mut self, ctx: &mut Ctx<Self>, relation_id: u32) -> HandlerResult {
        let info = self.db.fetch(ctx.model(), relation_id)?;
        for problem in info.problems() {
            tracing::warn!("database relation {relation_id}: {problem}");
        }
        if let (Some(user), true) = (info.username(), info.password().is_some()) {
            let line = format!(
                "database {} as {} at {}",
                info.database().unwrap_or("?"),
                user,
                info.endpoints().join(",")
            );
            tracing::info!("{line}");
            ctx.stored_mut().database = Some(line);
        }
        Ok(())
    }
}

/// The subject common name of a PEM certificate.
fn x509_subject_cn(pem: &str) -> Option<String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    let cert = pem.parse_x509().ok()?;
    let cn = cert.subject().iter_common_name().next()?;
    cn.as_str().ok().map(str::to_owned)
}

fn client() -> Result<InteropClient, Box<dyn std::error::Error>> {
    let request = CertificateRequest::builder()
        .common_name(COMMON_NAME)
        .dns(COMMON_NAME)
        .build()?;
    let tls = TlsRequirer::builder("certificates")
        .request(Mode::Unit, request)
        .build()?;
    Ok(InteropClient {
        tls,
        db: DatabaseRequirer::new("database", "appdb"),
    })
}

fn main() -> ExitCode {
    match client() {
        Ok(charm) => ops::main(charm),
        Err(e) => {
            eprintln!("interop-client: cannot configure its libraries: {e}");
            ExitCode::FAILURE
        }
    }
}

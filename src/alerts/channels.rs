//! Where alerts go: mail over SMTP (`lettre`, rustls) and a webhook (a JSON POST through
//! `ureq`). Both clients block, so each send runs on a blocking thread, one channel at a
//! time, with a time limit: a dead or stalling server holds one thread of its own channel
//! and nothing else.
//!
//! Errors are reported by kind only. An SMTP server's answer may quote an address ("550
//! <duty@unit.example> unknown"), and a webhook URL often holds its secret, so neither
//! the error text nor the destination ever reaches a log line.

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{Message, SmtpTransport, Transport};
use zeroize::Zeroizing;

use super::content::Alert;

/// Longest a single send may take, connection included.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte (port 465 by default).
    ImplicitTls,
    /// `smtp://` to another machine: STARTTLS, required (port 587 by default).
    StartTls,
    /// `smtp://` to a loopback relay (a local MTA, tests): no TLS, since nothing leaves
    /// the machine on this hop.
    PlainLoopback,
}

/// A mail channel, parsed and checked at start.
pub struct Smtp {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, Zeroizing<String>)>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|a| a.is_loopback())
}

impl Smtp {
    /// Reads `--alert-smtp` (`smtp[s]://[user@]host[:port]`), with the password from
    /// its file, never from the URL: a flag shows in `ps` and in the process environment.
    pub fn parse(
        url: &str,
        password: Option<Zeroizing<String>>,
        from: Option<&str>,
        to: &[String],
    ) -> Result<Smtp, String> {
        let parsed = url::Url::parse(url).map_err(|e| {
            format!("--alert-smtp is not a URL ({e}); expected smtps://user@host:port")
        })?;
        if parsed.password().is_some() {
            return Err(
                "--alert-smtp must not hold a password: anyone on the machine can read a \
                 command line (ps) and a process's environment. Put the password alone in a \
                 file readable by quietline only and pass --alert-smtp-password-file FILE"
                    .into(),
            );
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("--alert-smtp needs a host: smtps://user@host:port")?
            .to_owned();
        let security = match parsed.scheme() {
            "smtps" => Security::ImplicitTls,
            "smtp" if is_loopback(&host) => Security::PlainLoopback,
            "smtp" => Security::StartTls,
            other => {
                return Err(format!(
                    "--alert-smtp scheme {other:?} is not smtps:// (implicit TLS) or smtp:// \
                     (STARTTLS, or plain to a loopback relay)"
                ));
            }
        };
        let port = parsed.port().unwrap_or(match security {
            Security::ImplicitTls => 465,
            Security::StartTls => 587,
            Security::PlainLoopback => 25,
        });
        let user = percent_decode(parsed.username());
        let credentials = match (user.is_empty(), password) {
            (true, None) => None,
            (false, Some(password)) => Some((user, password)),
            (false, None) => {
                return Err("--alert-smtp names a user: pass its password with \
                     --alert-smtp-password-file FILE"
                    .into());
            }
            (true, Some(_)) => {
                return Err("--alert-smtp-password-file needs a user in --alert-smtp \
                     (smtps://user@host:port)"
                    .into());
            }
        };
        let from = from
            .ok_or("--alert-smtp needs --alert-from ADDRESS")?
            .parse::<Mailbox>()
            .map_err(|_| "--alert-from is not a mail address")?;
        // No --alert-to is allowed: then mail goes only to the investigators who set an
        // address of their own on the desk.
        let to = to
            .iter()
            .map(|a| a.parse::<Mailbox>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| "an --alert-to is not a mail address")?;
        Ok(Smtp {
            host,
            port,
            security,
            credentials,
            from,
            to,
        })
    }

    /// Whether there is a duty address (`--alert-to`) to send to.
    pub fn has_duty_addresses(&self) -> bool {
        !self.to.is_empty()
    }

    /// Sends one alert: to every `--alert-to` in one message, or to one investigator's
    /// own address in a message of its own, so that no investigator's address is shown
    /// to anyone else. Blocks.
    pub fn send(&self, alert: &Alert, to: &Addressee) -> Result<(), &'static str> {
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(alert.subject.clone());
        match to {
            Addressee::Duty => {
                for duty in &self.to {
                    message = message.to(duty.clone());
                }
            }
            Addressee::Investigator(address) => {
                let mailbox = address.parse::<Mailbox>().map_err(|_| "stored address")?;
                message = message.to(mailbox);
            }
        }
        let message = message
            .header(ContentType::TEXT_PLAIN)
            .body(alert.text.clone())
            .map_err(|_| "message")?;
        let builder = match self.security {
            Security::ImplicitTls => SmtpTransport::relay(&self.host).map_err(|_| "tls setup")?,
            Security::StartTls => {
                SmtpTransport::starttls_relay(&self.host).map_err(|_| "tls setup")?
            }
            Security::PlainLoopback => SmtpTransport::builder_dangerous(&self.host),
        };
        // A fixed greeting name: the machine's host name is nobody's business.
        let mut builder = builder
            .port(self.port)
            .timeout(Some(SEND_TIMEOUT))
            .hello_name(ClientId::Domain("localhost".into()));
        if let Some((user, password)) = &self.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.to_string()));
        }
        builder.build().send(&message).map(|_| ()).map_err(|e| {
            if e.is_timeout() {
                "timeout"
            } else if e.is_tls() {
                "tls"
            } else if e.is_permanent() {
                "refused (permanent)"
            } else if e.is_transient() {
                "refused (transient)"
            } else {
                "connection"
            }
        })
    }
}

/// `%40` and friends in a URL's user part (`smtps://alerts%40unit.example@host`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A webhook: a JSON POST of the alert (kind, subject, text, counts).
pub struct Webhook {
    url: String,
    agent: ureq::Agent,
}

impl Webhook {
    /// `https://`, or `http://` to a loopback receiver (a local bridge, tests).
    pub fn parse(url: &str) -> Result<Webhook, String> {
        let parsed =
            url::Url::parse(url).map_err(|e| format!("--alert-webhook is not a URL ({e})"))?;
        let loopback = parsed.host_str().is_some_and(is_loopback);
        match parsed.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(
                    "--alert-webhook must be an https:// address (http:// only to a loopback \
                     receiver)"
                        .into(),
                );
            }
        }
        let agent = ureq::AgentBuilder::new()
            .timeout(SEND_TIMEOUT)
            .redirects(0)
            .build();
        Ok(Webhook {
            url: url.to_owned(),
            agent,
        })
    }

    /// Posts one alert. Blocks.
    pub fn send(&self, alert: &Alert) -> Result<(), &'static str> {
        match self.agent.post(&self.url).send_json(alert) {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(code, _)) if code >= 500 => Err("server error status"),
            Err(ureq::Error::Status(..)) => Err("refused status"),
            Err(ureq::Error::Transport(t)) => Err(match t.kind() {
                ureq::ErrorKind::Dns => "dns",
                ureq::ErrorKind::ConnectionFailed => "connection",
                ureq::ErrorKind::Io => "io or timeout",
                _ => "transport",
            }),
        }
    }
}

/// Who one delivery of an alert is for.
#[derive(Clone, PartialEq, Eq)]
pub enum Addressee {
    /// The channel's own destination: the `--alert-to` duty addresses, or the webhook.
    Duty,
    /// One investigator's own mail address, as they set it on the desk. Never logged.
    Investigator(String),
}

impl Addressee {
    /// What logs may say about an addressee: its kind, never the address.
    pub fn kind(&self) -> &'static str {
        match self {
            Addressee::Duty => "duty",
            Addressee::Investigator(_) => "investigator",
        }
    }
}

/// One destination of alerts.
pub enum Channel {
    Mail(Smtp),
    Webhook(Webhook),
}

impl Channel {
    /// The channel's kind, the only thing about it that logs name.
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Mail(_) => "smtp",
            Channel::Webhook(_) => "webhook",
        }
    }

    /// Sends one delivery. A webhook has no per-investigator destination.
    pub fn send(&self, alert: &Alert, to: &Addressee) -> Result<(), &'static str> {
        match (self, to) {
            (Channel::Mail(smtp), to) => smtp.send(alert, to),
            (Channel::Webhook(hook), Addressee::Duty) => hook.send(alert),
            (Channel::Webhook(_), Addressee::Investigator(_)) => Err("no such destination"),
        }
    }

    /// The deliveries of one alert on this channel: the duty destination (if the channel
    /// has one), and for mail each investigator address in `investigators`.
    pub fn addressees(&self, investigators: &[String]) -> Vec<Addressee> {
        match self {
            Channel::Mail(smtp) => smtp
                .has_duty_addresses()
                .then_some(Addressee::Duty)
                .into_iter()
                .chain(investigators.iter().cloned().map(Addressee::Investigator))
                .collect(),
            Channel::Webhook(_) => vec![Addressee::Duty],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to() -> Vec<String> {
        vec!["duty@unit.example".into()]
    }

    #[test]
    fn a_password_in_the_url_is_refused_with_what_to_do() {
        let error = Smtp::parse(
            "smtps://alerts:hunter2@mail.example:465",
            None,
            Some("q@unit.example"),
            &to(),
        )
        .err()
        .unwrap();
        assert!(error.contains("--alert-smtp-password-file"), "{error}");
        assert!(!error.contains("hunter2"));
    }

    #[test]
    fn schemes_choose_tls_and_plain_is_for_loopback_only() {
        let parse = |url: &str, password: Option<&str>| {
            Smtp::parse(
                url,
                password.map(|p| Zeroizing::new(p.to_owned())),
                Some("q@unit.example"),
                &to(),
            )
        };
        let s = parse("smtps://alerts%40unit.example@mail.example", Some("pw")).unwrap();
        assert_eq!((s.security, s.port), (Security::ImplicitTls, 465));
        assert_eq!(s.credentials.as_ref().unwrap().0, "alerts@unit.example");
        let s = parse("smtp://alerts@mail.example:2525", Some("pw")).unwrap();
        assert_eq!((s.security, s.port), (Security::StartTls, 2525));
        let s = parse("smtp://127.0.0.1:2525", None).unwrap();
        assert_eq!(s.security, Security::PlainLoopback);
        assert!(parse("smtp://alerts@mail.example", None).is_err());
        assert!(parse("http://mail.example", None).is_err());
        assert!(Smtp::parse("smtp://127.0.0.1", None, None, &to()).is_err());
        let own_only = Smtp::parse("smtp://127.0.0.1", None, Some("q@unit.example"), &[]).unwrap();
        assert!(
            !own_only.has_duty_addresses(),
            "investigators' own addresses only"
        );
    }

    #[test]
    fn webhooks_need_https_except_on_loopback() {
        assert!(Webhook::parse("https://chat.example/hook/abc").is_ok());
        assert!(Webhook::parse("http://127.0.0.1:9000/hook").is_ok());
        assert!(Webhook::parse("http://chat.example/hook").is_err());
    }
}

//! The quietline binary: parse the command line, run one command, map errors to exit codes.

use clap::Parser;
use quietline::cli::{AuditCommand, Cli, Command};
use quietline::commands;

fn init_logging() {
    // Logs go to stderr. Nothing this crate logs carries content, tokens, addresses or
    // user agents; the filter only chooses how much operational detail to show.
    let filter = tracing_subscriber::EnvFilter::try_from_env("QUIETLINE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        // Whatever the filter asks: the PostgreSQL client logs each statement with its
        // parameters (lookup ids, wraps, records) at debug level. Its warnings stay.
        .add_directive(quiet("tokio_postgres=warn"))
        .add_directive(quiet("postgres=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// A fixed filter directive (infallible: the texts above parse).
fn quiet(directive: &str) -> tracing_subscriber::filter::Directive {
    directive.parse().expect("a valid directive")
}

/// A panic's message may quote what the panicking code was reading (a parser's input, a
/// decrypted entry), and the default hook prints it to stderr, into the logs. This hook
/// logs where the panic happened, never its message.
fn hide_panic_messages() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "unknown".into());
        tracing::error!(%location, "a thread panicked (its message is not logged: it may quote content)");
    }));
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    hide_panic_messages();
    let result = match cli.command {
        Command::Serve(config) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|rt| {
                let result = rt.block_on(commands::serve(*config));
                // A store write hung in a blocking thread (sled after ENOSPC) must not
                // keep a stopped process alive: dropping the runtime would wait for it.
                rt.shutdown_timeout(std::time::Duration::from_secs(5));
                result
            }),
        Command::Keygen { out } => commands::keygen(&out),
        Command::Enrol(args) => quietline::desk::enrol(args),
        Command::Desk(args) => quietline::desk::run(args),
        Command::Admin(command) => commands::admin(command),
        Command::Audit(AuditCommand::Verify { data_dir, expect }) => {
            commands::audit_verify(&data_dir, expect.as_deref())
        }
        Command::Restore {
            from,
            identity,
            data_dir,
        } => commands::restore(&from, &identity, &data_dir),
        Command::MigrateStore(args) => commands::migrate_store(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quietline: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

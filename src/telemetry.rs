//! Logging: human-readable lines on stderr (journald adds its own timestamps) and
//! daily-rotated files kept for `log.keep_days` days. Operational logs may drop
//! lines under extreme load; audit events have their own durable path.

use crate::config::LogConfig;
use std::path::PathBuf;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// Keeps the file writer alive; dropping it flushes what is buffered.
#[must_use]
pub struct LogGuard {
    _file: Option<WorkerGuard>,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("the log directory {} cannot be used (log.dir): {source}", dir.display())]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("the log files in {} cannot be opened (log.dir): {why}", dir.display())]
    Appender { dir: PathBuf, why: String },
    #[error("logging was already set up")]
    AlreadySet,
}

fn filter(level: &str) -> EnvFilter {
    // RUST_LOG wins when set, for debugging on a live box.
    EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{level},sled=warn,actix_server=warn,rustls=warn,mio=warn"
        ))
    })
}

/// Logging for the daemon.
pub fn init_daemon(log: &LogConfig) -> Result<LogGuard, TelemetryError> {
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let stderr = if under_journald {
        // The journal adds its own timestamp and reads the priority from a
        // "<N>" prefix (sd-daemon(3)), so errors show as errors.
        fmt::layer()
            .with_writer(std::io::stderr)
            .event_format(JournalPriority(
                fmt::format()
                    .without_time()
                    .with_target(false)
                    .with_ansi(false),
            ))
            .boxed()
    } else {
        fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_target(false)
            .boxed()
    };
    let (file_layer, guard) = match &log.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| TelemetryError::Dir {
                dir: dir.clone(),
                source,
            })?;
            let appender = RollingFileAppender::builder()
                .rotation(Rotation::DAILY)
                .filename_prefix("tocsin")
                .filename_suffix("log")
                .max_log_files(log.keep_days)
                .build(dir)
                .map_err(|e| TelemetryError::Appender {
                    dir: dir.clone(),
                    why: e.to_string(),
                })?;
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer().with_writer(writer).with_ansi(false).boxed();
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(filter(&log.level))
        .with(stderr)
        .with(file_layer)
        .try_init()
        .map_err(|_| TelemetryError::AlreadySet)?;
    Ok(LogGuard { _file: guard })
}

/// Prefixes each line with its syslog priority for the journal.
struct JournalPriority<F>(F);

impl<S, N, F> fmt::FormatEvent<S, N> for JournalPriority<F>
where
    F: fmt::FormatEvent<S, N>,
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &fmt::FmtContext<'_, S, N>,
        mut writer: fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let priority = match *event.metadata().level() {
            tracing::Level::ERROR => 3,
            tracing::Level::WARN => 4,
            tracing::Level::INFO => 6,
            _ => 7,
        };
        write!(writer, "<{priority}>")?;
        self.0.format_event(ctx, writer, event)
    }
}

/// Logging for one-shot commands: warnings and errors on stderr only.
pub fn init_command() {
    let _ = tracing_subscriber::registry()
        .with(filter("warn"))
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .without_time()
                .with_target(false),
        )
        .try_init();
}

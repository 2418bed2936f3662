use clap::Parser;

fn main() -> std::process::ExitCode {
    tocsin::cli::run(tocsin::cli::Cli::parse())
}

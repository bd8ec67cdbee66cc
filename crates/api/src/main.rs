use std::process::ExitCode;

fn main() -> ExitCode {
    kim_api::cli::main()
}

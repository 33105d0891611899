//! Settings files on the command line: `settings schema`, `plan` (the wizard's checks, headless)
//! and `apply` (the Configuring page's steps, headless).

use std::io::Write;
use std::path::PathBuf;

use super::args::{ApplyArgs, PlanArgs, ServiceArg, SettingsCommand};
use super::print_json;

/// Runs `settings schema`.
pub fn settings_command(command: &SettingsCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        SettingsCommand::Schema => out.write_all(crate::wizard::settings::schema().as_bytes())?,
    }
    Ok(())
}

/// Prints device codes and finished steps to a writer (stderr in the binary).
struct Reporter<'a>(&'a mut dyn Write);

impl crate::wizard::headless::Observer for Reporter<'_> {
    fn device_code(&mut self, uri: &str, code: &str) {
        let _ = writeln!(
            self.0,
            "To sign in to the tenant, open {uri} and enter the code {code}"
        );
    }

    fn progress(&mut self, phase: &crate::engine::install::CyclePhase, handled: u64) {
        let line = crate::wizard::pages::configuring::progress_text(phase, handled);
        let _ = writeln!(self.0, "        {line}");
    }

    fn step(
        &mut self,
        step: crate::wizard::apply::Step,
        outcome: &Result<String, crate::wizard::apply::StepError>,
    ) {
        use crate::wizard::{PageId, text};
        let label = text::page(PageId::Configuring).field(step.field());
        let _ = match outcome {
            Ok(line) => writeln!(self.0, "done    {label}: {line}"),
            Err(why) => writeln!(self.0, "FAILED  {label}: {why}"),
        };
    }
}

/// Reads a settings file and fills a headless wizard from it.
fn headless_from(
    file: &std::path::Path,
    data: PathBuf,
    licence: bool,
    runtime: &tokio::runtime::Runtime,
    log: &mut dyn Write,
) -> anyhow::Result<(crate::wizard::headless::Headless, Vec<String>)> {
    let imported = crate::wizard::settings::read(file).map_err(anyhow::Error::msg)?;
    let data = std::path::absolute(&data)
        .map_err(|e| anyhow::anyhow!("the data folder {} cannot be used: {e}", data.display()))?;
    let mut headless =
        crate::wizard::headless::Headless::new(data, licence, runtime.handle().clone());
    let notes = headless.import(imported, &mut Reporter(log));
    Ok((headless, notes))
}

/// One problem as `plan` prints it.
fn problem_line(problem: &crate::wizard::Problem, blocks: bool) -> String {
    use crate::wizard::text;
    let page = text::page(problem.page);
    let severity = match (problem.severity, blocks) {
        (crate::wizard::Severity::Error, _) => "error",
        (crate::wizard::Severity::Confirm, true) => "needs acknowledging",
        (crate::wizard::Severity::Confirm, false) => "acknowledged",
        (crate::wizard::Severity::Warning, _) => "warning",
    };
    let mut line = format!(
        "{severity}: {} › {}: {}",
        page.title,
        page.field(problem.field),
        problem.text()
    );
    if blocks && problem.severity == crate::wizard::Severity::Confirm {
        line.push_str(&format!(
            " (add \"{}/{}\" to acknowledged to go on)",
            problem.page.key(),
            problem.message
        ));
    }
    line
}

/// Runs `plan`: every problem of the file, with its page and field; fails when one blocks.
pub fn plan_command(
    args: &PlanArgs,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> anyhow::Result<()> {
    // Nothing is written; the data folder is only checked.
    let data = args
        .data
        .clone()
        .unwrap_or_else(crate::engine::install::default_data_dir);
    let runtime = super::runtime()?;
    let (headless, notes) = headless_from(&args.file, data, args.accept_licence, &runtime, log)?;
    let problems = headless.problems();
    let blocking = problems.iter().filter(|p| headless.blocks(p)).count();
    if args.json {
        let list: Vec<serde_json::Value> = problems
            .iter()
            .map(|p| {
                let page = crate::wizard::text::page(p.page);
                serde_json::json!({
                    "page": p.page.key(),
                    "pageTitle": page.title,
                    "field": p.field,
                    "fieldLabel": page.field(p.field),
                    "severity": format!("{:?}", p.severity).to_lowercase(),
                    "blocks": headless.blocks(p),
                    "message": p.message,
                    "text": p.text(),
                })
            })
            .collect();
        print_json(
            out,
            &serde_json::json!({"ready": blocking == 0, "notes": notes, "problems": list}),
        )?;
    } else {
        for note in &notes {
            writeln!(out, "note: {note}")?;
        }
        for p in &problems {
            writeln!(out, "{}", problem_line(p, headless.blocks(p)))?;
        }
        if blocking == 0 {
            writeln!(
                out,
                "{}: ready to apply ({} forest(s))",
                args.file.display(),
                headless.wizard().draft().directories.len()
            )?;
        }
    }
    if blocking > 0 {
        anyhow::bail!(
            "{}: {blocking} problem(s) must be fixed before it can be applied",
            args.file.display()
        );
    }
    Ok(())
}

/// Runs `apply`: the checks of `plan`, then every configuring step, reported as it finishes.
pub fn apply_command(args: &ApplyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let data = args
        .data
        .clone()
        .unwrap_or_else(crate::engine::install::default_data_dir);
    let runtime = super::runtime()?;
    let (mut headless, notes) =
        headless_from(&args.file, data, args.accept_licence, &runtime, out)?;
    for note in &notes {
        writeln!(out, "note: {note}")?;
    }
    headless.send(
        crate::wizard::Msg::SetServiceChoice(match args.service {
            ServiceArg::None => crate::wizard::pages::ready_to_configure::ServiceChoice::None,
            ServiceArg::Start => crate::wizard::pages::ready_to_configure::ServiceChoice::Start,
            ServiceArg::Register => {
                crate::wizard::pages::ready_to_configure::ServiceChoice::Register
            }
        }),
        &mut Reporter(&mut *out),
    );
    if args.no_first_sync {
        headless.send(
            crate::wizard::Msg::SetStartSync(false),
            &mut Reporter(&mut *out),
        );
    }
    let blocking: Vec<String> = headless
        .problems()
        .iter()
        .filter(|p| headless.blocks(p))
        .map(|p| problem_line(p, true))
        .collect();
    if !blocking.is_empty() {
        for line in &blocking {
            writeln!(out, "{line}")?;
        }
        anyhow::bail!(
            "{}: nothing was changed; fix the problems above (`skybridge plan` lists them)",
            args.file.display()
        );
    }
    headless
        .configure(&mut Reporter(&mut *out))
        .map_err(|why| anyhow::anyhow!("configuring stopped at {why}. Fix the cause and run `skybridge apply` again with a new data folder, or finish from the wizard."))?;
    writeln!(
        out,
        "Configured in {}",
        headless.wizard().draft().data_dir.display()
    )?;
    Ok(())
}

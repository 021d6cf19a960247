//! The HTML page a failing check writes beside its message: self-contained, next to the
//! linearizability timelines (`LAB_VIS_FILE`, `LAB_VIS_DIR` or the same directory, pruned the same
//! way: see `lincheck::timeline_files`), named in the message and linked from the run's view.

use crate::lincheck::timeline_files;

/// Writes `body` (HTML) as the page `<test>-<kind>` titled `title`; returns the line that names
/// it for the failure message (or says why it could not be written).
pub fn write(test: &str, kind: &str, title: &str, body: &str) -> String {
    let path = timeline_files::path(&format!("{test}-{kind}"));
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>{0}</title><style>body{{font:14px \
         sans-serif;margin:20px}}h2{{font-size:15px}}.bad{{color:#b00}}rect.ack{{fill:#4a8}}rect.\
         failed{{fill:#c93}}text{{font:11px monospace}}td{{padding:2px 8px}}</style><h1>{0}</h1>{body}",
        escape(title)
    );
    match std::fs::write(&path, page) {
        Ok(()) => {
            timeline_files::prune(&path);
            labrpc::view::attach(title, &path);
            format!("\nDetails: {}", path.display())
        }
        Err(e) => format!("\n(could not write {}: {e})", path.display()),
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

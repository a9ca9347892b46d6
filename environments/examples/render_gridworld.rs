//! Renders the gridworld cases listed by `scripts/compare_gridworld_frames.py` to PNG files, for
//! comparison with MiniGrid's pictures.
//!
//! `cargo run --release --example render_gridworld -- CASES_JSON OUT_DIR`

#[path = "../tests/support/gridworld_render_cases.rs"]
mod gridworld_render_cases;

use limbic_environments::render::save_png;
use std::path::Path;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cases, out] = args.as_slice() else { return Err("usage: render_gridworld CASES_JSON OUT_DIR".into()) };
    let text = std::fs::read_to_string(cases).map_err(|e| format!("{cases}: {e}"))?;
    let cases: gridworld_render_cases::Cases = serde_json::from_str(&text).map_err(|e| format!("{cases}: {e}"))?;
    std::fs::create_dir_all(out).map_err(|e| format!("{out}: {e}"))?;
    for case in &cases.cases {
        let path = Path::new(out).join(format!("{}.png", case.name));
        save_png(&case.render()?, &path).map_err(|e| e.to_string())?;
    }
    println!("wrote {} frames to {out}", cases.cases.len());
    Ok(())
}

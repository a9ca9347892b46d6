//! Renders the classic-control cases listed by `scripts/compare_classic_frames.py` to PNG files,
//! for comparison with Gymnasium's pictures.
//!
//! `cargo run --release --example render_classic -- STATES_JSON OUT_DIR`

#[path = "../tests/support/classic_cases.rs"]
mod classic_cases;

use limbic_environments::render::save_png;
use std::path::Path;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [states, out] = args.as_slice() else { return Err("usage: render_classic STATES_JSON OUT_DIR".into()) };
    let text = std::fs::read_to_string(states).map_err(|e| format!("{states}: {e}"))?;
    let cases: classic_cases::Cases = serde_json::from_str(&text).map_err(|e| format!("{states}: {e}"))?;
    std::fs::create_dir_all(out).map_err(|e| format!("{out}: {e}"))?;
    for case in &cases.cases {
        let path = Path::new(out).join(format!("{}.png", case.name));
        save_png(&case.render()?, &path).map_err(|e| e.to_string())?;
    }
    println!("wrote {} frames to {out}", cases.cases.len());
    Ok(())
}

//! limbic's classic-control pictures against Gymnasium 1.4.0's, recorded as PNG fixtures by
//! `scripts/compare_classic_frames.py` (`tests/fixtures/render/`).

mod support {
    pub mod classic_cases;
}

use limbic_environments::Frame;
use support::classic_cases::Cases;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/render");

fn load_png(path: &str) -> Frame {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{path}: not an RGB picture");
    let pixels = buf[..info.buffer_size()].chunks_exact(channels).flat_map(|p| [p[0], p[1], p[2]]).collect();
    Frame { width: info.width as usize, height: info.height as usize, pixels }
}

/// Shares of pixels that are identical, and that are within `tolerance` on every channel.
fn agreement(a: &Frame, b: &Frame, tolerance: u8) -> (f64, f64) {
    let diffs: Vec<u8> = a
        .pixels
        .chunks_exact(3)
        .zip(b.pixels.chunks_exact(3))
        .map(|(p, q)| p.iter().zip(q).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0))
        .collect();
    let n = diffs.len() as f64;
    (diffs.iter().filter(|&&d| d == 0).count() as f64 / n, diffs.iter().filter(|&&d| d <= tolerance).count() as f64 / n)
}

#[test]
fn classic_pictures_match_gymnasium() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/states.json")).unwrap();
    let cases: Cases = serde_json::from_str(&text).unwrap();
    assert!(cases.cases.len() >= 5);
    for case in &cases.cases {
        let expected = load_png(&format!("{FIXTURES}/{}.png", case.name));
        let frame = case.render().unwrap();
        assert_eq!((frame.width, frame.height), (expected.width, expected.height), "{}", case.name);
        let (equal, close) = agreement(&frame, &expected, cases.tolerance);
        // The pygame primitives are reproduced exactly; only Pendulum's arrow (a scaled bitmap in
        // Gymnasium, an outline here) differs, at its anti-aliased edges.
        let arrow = case.last_u.is_some_and(|u| u != 0.0);
        let min_equal = if arrow { 0.99 } else { 0.999 };
        assert!(equal >= min_equal, "{}: {:.4}% of pixels equal", case.name, equal * 100.0);
        assert!(close >= 0.998, "{}: {:.4}% of pixels within tolerance", case.name, close * 100.0);
    }
}

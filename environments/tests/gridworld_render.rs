//! limbic's gridworld pictures against MiniGrid 3.2.0's, recorded by
//! `scripts/compare_gridworld_frames.py` into the workspace's `tests/fixtures/gridworld_render/`:
//! every case's frame hash (FNV-1a 64 of its RGB bytes), some frames as PNG files, and the image
//! hashes of MiniGrid's `RGBImgObsWrapper` / `RGBImgPartialObsWrapper` along a few episodes.

mod common;
mod support {
    pub mod gridworld_render_cases;
}

use common::fnv1a64;
use limbic_environments::gridworld::wrappers::{RGBImgObs, RGBImgPartialObs};
use limbic_environments::gridworld::{self, GridEnv};
use limbic_environments::{Env, Frame, Options, Value};
use serde_json::Value as Json;
use support::gridworld_render_cases::Cases;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/gridworld_render");

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

fn read_json(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn frames_equal_minigrids_pixel_for_pixel() {
    let cases: Cases = serde_json::from_str(&read_json("cases.json")).unwrap();
    assert!(cases.cases.len() >= 300, "the sweep covers every id");
    let mut differing = Vec::new();
    for case in &cases.cases {
        let frame = case.render().unwrap();
        assert_eq!(frame.pixels.len(), frame.width * frame.height * 3);
        if fnv1a64(&frame.pixels) != case.hash {
            differing.push(case.name.as_str());
        }
    }
    assert!(differing.is_empty(), "{} of {} frames differ: {differing:?}", differing.len(), cases.cases.len());
}

#[test]
fn png_fixtures_match_pixel_for_pixel() {
    let cases: Cases = serde_json::from_str(&read_json("cases.json")).unwrap();
    let mut checked = 0;
    for case in &cases.cases {
        let path = format!("{FIXTURES}/{}.png", case.name);
        if !std::path::Path::new(&path).exists() {
            continue;
        }
        let expected = load_png(&path);
        let frame = case.render().unwrap();
        assert_eq!((frame.width, frame.height), (expected.width, expected.height), "{}", case.name);
        let equal = frame.pixels.chunks_exact(3).zip(expected.pixels.chunks_exact(3)).filter(|(a, b)| a == b).count();
        assert_eq!(equal, frame.width * frame.height, "{}: pixels differ", case.name);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} PNG fixtures found");
}

fn image(obs: &Value) -> &[u8] {
    match obs.get("image") {
        Some(Value::U8(px)) => px,
        other => panic!("no image: {other:?}"),
    }
}

/// One recorded wrapper run: image hashes after the reset and after each action.
fn check_wrapper_run<E: GridEnv>(mut env: E, run: &Json, label: &str) {
    let shape: Vec<usize> = run["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let Some(limbic_environments::Space::Dict(items)) = Some(env.observation_space()) else { panic!("{label}") };
    let space = items.iter().find(|(k, _)| k == "image").unwrap().1.as_box().unwrap();
    assert_eq!(space.shape, shape, "{label}: image shape");
    let hashes: Vec<&str> = run["hashes"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
    let (obs, _) = env.reset(run["seed"].as_u64(), &Options::new()).unwrap();
    assert_eq!(fnv1a64(image(&obs)), hashes[0], "{label}: reset");
    assert!(env.observation_space().contains(&obs), "{label}: outside its space");
    for (i, a) in run["actions"].as_array().unwrap().iter().enumerate() {
        let step = env.step(&Value::Int(a.as_i64().unwrap())).unwrap();
        assert_eq!(fnv1a64(image(&step.obs)), hashes[i + 1], "{label}: step {}", i + 1);
    }
}

#[test]
fn pixel_wrappers_match_minigrids() {
    let runs: Json = serde_json::from_str(&read_json("wrappers.json")).unwrap();
    let runs = runs["runs"].as_array().unwrap();
    assert!(runs.len() >= 4);
    for run in runs {
        let id = run["id"].as_str().unwrap();
        let tile_size = run["tile_size"].as_u64().unwrap() as usize;
        let env = gridworld::make(id, &Default::default()).unwrap();
        let label = format!("{id} {} tile {tile_size}", run["wrapper"]);
        match run["wrapper"].as_str().unwrap() {
            "RGBImgObs" => check_wrapper_run(RGBImgObs::new(env, tile_size).unwrap(), run, &label),
            "RGBImgPartialObs" => check_wrapper_run(RGBImgPartialObs::new(env, tile_size).unwrap(), run, &label),
            other => panic!("unknown wrapper {other}"),
        }
    }
}

#[test]
fn render_needs_a_reset_and_runs_at_minigrids_fps() {
    let mut env = gridworld::make("MiniGrid-DoorKey-8x8-v0", &Default::default()).unwrap();
    assert!(env.render().is_err());
    env.reset(Some(1), &Options::new()).unwrap();
    let frame = env.render().unwrap();
    assert_eq!((frame.width, frame.height), (256, 256));
    assert_eq!(env.render_fps(), 10);
}

/// A GIF of a MiniGrid episode keeps every pixel: the pictures have far fewer than 256 colours
/// (their anti-aliasing blends included), so each frame's palette is exact.
#[test]
fn gif_of_an_episode_is_lossless() {
    let mut env = gridworld::make("MiniGrid-ObstructedMaze-Full-v0", &Default::default()).unwrap();
    env.reset(Some(1), &Options::new()).unwrap();
    let mut frames = vec![env.render().unwrap()];
    for a in [0, 2, 2, 1, 2, 5] {
        env.step(&Value::Int(a)).unwrap();
        frames.push(env.render().unwrap());
    }
    let bytes = limbic_environments::render::encode_gif(&frames, env.render_fps()).unwrap();
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(bytes.as_slice()).unwrap();
    let mut decoded = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        assert_eq!(frame.delay, 10, "10 frames per second");
        decoded.push(frame.buffer.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect::<Vec<u8>>());
    }
    assert_eq!(decoded.len(), frames.len());
    for (i, (got, frame)) in decoded.iter().zip(&frames).enumerate() {
        assert!(got == &frame.pixels, "frame {i} changed in the GIF");
    }
}

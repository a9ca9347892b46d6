//! Gymnasium's classic-control pictures (600x400), drawn in Rust.

use super::Frame;

/// CartPole's picture (placeholder until the renderer lands).
pub fn cartpole(_state: &[f64; 4]) -> Frame {
    Frame::filled(600, 400, [255, 255, 255])
}

//! Gymnasium's classic-control pictures, drawn in Rust.

use super::Frame;

/// CartPole's picture, 600x400 (placeholder until the renderer lands).
pub fn cartpole(_state: &[f64; 4]) -> Frame {
    Frame::filled(600, 400, [255, 255, 255])
}

/// MountainCar's picture, 600x400 (placeholder until the renderer lands).
pub fn mountain_car(_position: f64, _goal_position: f64) -> Frame {
    Frame::filled(600, 400, [255, 255, 255])
}

/// Acrobot's picture, 500x500 (placeholder until the renderer lands).
pub fn acrobot(_state: &[f64; 4]) -> Frame {
    Frame::filled(500, 500, [255, 255, 255])
}

/// Pendulum's picture, 500x500 (placeholder until the renderer lands).
pub fn pendulum(_theta: f64, _last_u: Option<f64>) -> Frame {
    Frame::filled(500, 500, [255, 255, 255])
}

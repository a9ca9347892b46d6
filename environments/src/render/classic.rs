//! Gymnasium's classic-control pictures (`render_mode="rgb_array"`), drawn as its `render()` draws
//! them: the same geometry and colours, pygame's primitives (the [`Frame`] drawing methods), y up
//! while drawing and a vertical flip at the end. Frames match Gymnasium 1.4.0's pixel for pixel,
//! except the pendulum's torque arrow, a bitmap in Gymnasium and a drawn outline here.

use super::canvas::Rgb;
use super::{check_painted_row, Frame, ObservationPainter};
use crate::error::Result;
use std::f64::consts::PI;
use std::sync::Arc;

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];

/// pygame.gfxdraw's coordinate conversion: Python's `int()` (truncation), then C's `Sint16` cast.
fn gfx(v: f64) -> i32 {
    v as i64 as i16 as i32
}

/// Truncates a list of float points to gfxdraw's integer points.
fn gfx_points(points: &[(f64, f64)]) -> Vec<(i32, i32)> {
    points.iter().map(|&(x, y)| (gfx(x), gfx(y))).collect()
}

/// `pygame.math.Vector2(p).rotate_rad(angle)`: exact for multiples of 90 degrees, as pygame is.
fn rotate((x, y): (f64, f64), angle: f64) -> (f64, f64) {
    const EPSILON: f64 = 1e-6;
    let mut angle = angle % (2.0 * PI);
    if angle < 0.0 {
        angle += 2.0 * PI;
    }
    if (angle + EPSILON) % (PI / 2.0) < 2.0 * EPSILON {
        return match ((angle + EPSILON) / (PI / 2.0)) as i32 {
            1 => (-y, x),
            2 => (-x, -y),
            3 => (y, -x),
            _ => (x, y),
        };
    }
    let (sin, cos) = (angle.sin(), angle.cos());
    (cos * x - sin * y, sin * x + cos * y)
}

/// gfxdraw's usual pair: an anti-aliased outline, then the fill.
fn polygon(frame: &mut Frame, points: &[(f64, f64)], rgb: Rgb) {
    let points = gfx_points(points);
    frame.aa_polygon(&points, rgb);
    frame.fill_polygon(&points, rgb);
}

/// gfxdraw's usual pair for discs: an anti-aliased circle, then the fill.
fn disc(frame: &mut Frame, x: i32, y: i32, r: i32, rgb: Rgb) {
    frame.aa_circle(x, y, r, rgb);
    frame.fill_circle(x, y, r, rgb);
}

/// CartPole's picture (600x400) for state `[x, x_dot, theta, theta_dot]`.
pub fn cartpole(state: &[f64; 4]) -> Frame {
    const WIDTH: usize = 600;
    const X_THRESHOLD: f64 = 2.4;
    const HALF_POLE_LENGTH: f64 = 0.5;
    const POLE_WIDTH: f64 = 10.0;
    const CART_WIDTH: f64 = 50.0;
    const CART_HEIGHT: f64 = 30.0;
    const CART_Y: f64 = 100.0; // the top of the track
    let scale = WIDTH as f64 / (X_THRESHOLD * 2.0);
    let pole_length = scale * (2.0 * HALF_POLE_LENGTH);
    let axle_offset = CART_HEIGHT / 4.0;
    let cart_x = state[0] * scale + WIDTH as f64 / 2.0;
    let mut frame = Frame::filled(WIDTH, 400, WHITE);

    let (l, r, t, b) = (-CART_WIDTH / 2.0, CART_WIDTH / 2.0, CART_HEIGHT / 2.0, -CART_HEIGHT / 2.0);
    let cart = [(l, b), (l, t), (r, t), (r, b)].map(|(x, y)| (x + cart_x, y + CART_Y));
    polygon(&mut frame, &cart, BLACK);

    let (l, r, t, b) = (-POLE_WIDTH / 2.0, POLE_WIDTH / 2.0, pole_length - POLE_WIDTH / 2.0, -POLE_WIDTH / 2.0);
    let pole = [(l, b), (l, t), (r, t), (r, b)].map(|corner| {
        let (x, y) = rotate(corner, -state[2]);
        (x + cart_x, y + CART_Y + axle_offset)
    });
    polygon(&mut frame, &pole, [202, 152, 101]);
    disc(&mut frame, gfx(cart_x), gfx(CART_Y + axle_offset), gfx(POLE_WIDTH / 2.0), [129, 132, 203]);

    frame.hline(0, WIDTH as i32, CART_Y as i32, BLACK);
    frame.flip_vertical();
    frame
}

/// MountainCar's picture (600x400) with the car at `position` and the flag at `goal_position`
/// (0.5 in MountainCar, 0.45 in MountainCarContinuous, which draws the same picture).
pub fn mountain_car(position: f64, goal_position: f64) -> Frame {
    const WIDTH: usize = 600;
    const MIN_POSITION: f64 = -1.2;
    const MAX_POSITION: f64 = 0.6;
    const CAR_WIDTH: f64 = 40.0;
    const CAR_HEIGHT: f64 = 20.0;
    const CLEARANCE: f64 = 10.0;
    let height = |x: f64| (3.0 * x).sin() * 0.45 + 0.55;
    let world_width = MAX_POSITION - MIN_POSITION;
    let scale = WIDTH as f64 / world_width;
    let mut frame = Frame::filled(WIDTH, 400, WHITE);

    // The track through 100 points, as `np.linspace(MIN_POSITION, MAX_POSITION, 100)` spaces them.
    let step = world_width / 99.0;
    let track: Vec<(f32, f32)> = (0..100)
        .map(|i| if i == 99 { MAX_POSITION } else { i as f64 * step + MIN_POSITION })
        .map(|x| (((x - MIN_POSITION) * scale) as f32, (height(x) * scale) as f32))
        .collect();
    frame.aa_polyline(&track, BLACK);

    let tilt = (3.0 * position).cos();
    let car_x = (position - MIN_POSITION) * scale;
    let place = |corner: (f64, f64)| {
        let (x, y) = rotate(corner, tilt);
        (x + car_x, y + CLEARANCE + height(position) * scale)
    };
    let (l, r, t, b) = (-CAR_WIDTH / 2.0, CAR_WIDTH / 2.0, CAR_HEIGHT, 0.0);
    polygon(&mut frame, &[(l, b), (l, t), (r, t), (r, b)].map(place), BLACK);
    for axle in [(CAR_WIDTH / 4.0, 0.0), (-CAR_WIDTH / 4.0, 0.0)] {
        let (x, y) = place(axle);
        disc(&mut frame, gfx(x), gfx(y), gfx(CAR_HEIGHT / 2.5), [128, 128, 128]);
    }

    let flag_x = gfx((goal_position - MIN_POSITION) * scale);
    let flag_y1 = gfx(height(goal_position) * scale);
    let flag_y2 = flag_y1 + 50;
    frame.vline(flag_x, flag_y1, flag_y2, BLACK);
    let flag = [(flag_x, flag_y2), (flag_x, flag_y2 - 10), (flag_x + 25, flag_y2 - 5)];
    frame.aa_polygon(&flag, [204, 204, 0]);
    frame.fill_polygon(&flag, [204, 204, 0]);
    frame.flip_vertical();
    frame
}

/// Acrobot's picture (500x500) for state `[theta1, theta2, dtheta1, dtheta2]`.
pub fn acrobot(state: &[f64; 4]) -> Frame {
    const DIM: usize = 500;
    const LINK_LENGTH: f64 = 1.0; // both links
    let bound = LINK_LENGTH + LINK_LENGTH + 0.2;
    let scale = DIM as f64 / (bound * 2.0);
    let offset = DIM as f64 / 2.0;
    let mut frame = Frame::filled(DIM, DIM, WHITE);

    let elbow = (LINK_LENGTH * state[0].sin() * scale, -LINK_LENGTH * state[0].cos() * scale);
    let joints = [(0.0, 0.0), elbow];
    let angles = [state[0] - PI / 2.0, state[0] + state[1] - PI / 2.0];

    let line_y = gfx(1.0 * scale + offset);
    frame.line((gfx(-2.2 * scale + offset), line_y), (gfx(2.2 * scale + offset), line_y), BLACK);

    for ((x, y), angle) in joints.into_iter().zip(angles) {
        let (x, y) = (x + offset, y + offset);
        let (l, r, t, b) = (0.0, LINK_LENGTH * scale, 0.1 * scale, -0.1 * scale);
        let link = [(l, b), (l, t), (r, t), (r, b)].map(|corner| {
            let (cx, cy) = rotate(corner, angle);
            (cx + x, cy + y)
        });
        polygon(&mut frame, &link, [0, 204, 204]);
        disc(&mut frame, gfx(x), gfx(y), gfx(0.1 * scale), [204, 204, 0]);
    }
    frame.flip_vertical();
    frame
}

/// Pendulum's picture (500x500) for angle `theta` (0 up), with the torque arrow when a torque was
/// applied (`last_u`): Gymnasium scales a clockwise-arrow bitmap to `|u|`; here the same arrow is
/// drawn as an outline, so its edge pixels differ slightly from Gymnasium's.
pub fn pendulum(theta: f64, last_u: Option<f64>) -> Frame {
    const DIM: usize = 500;
    const ROD_COLOUR: Rgb = [204, 77, 77];
    let scale = DIM as f64 / (2.2 * 2.0);
    let offset = (DIM / 2) as i32;
    let centre = offset as f64;
    let mut frame = Frame::filled(DIM, DIM, WHITE);

    let (rod_length, rod_width) = (scale, 0.2 * scale);
    let (l, r, t, b) = (0.0, rod_length, rod_width / 2.0, -rod_width / 2.0);
    let rod = [(l, b), (l, t), (r, t), (r, b)].map(|corner| {
        let (x, y) = rotate(corner, theta + PI / 2.0);
        (x + centre, y + centre)
    });
    polygon(&mut frame, &rod, ROD_COLOUR);
    disc(&mut frame, offset, offset, gfx(rod_width / 2.0), ROD_COLOUR);
    let (end_x, end_y) = rotate((rod_length, 0.0), theta + PI / 2.0);
    disc(&mut frame, gfx(end_x + centre), gfx(end_y + centre), gfx(rod_width / 2.0), ROD_COLOUR);

    if let Some(u) = last_u {
        torque_arrow(&mut frame, offset, scale * u.abs() / 2.0, u > 0.0);
    }
    disc(&mut frame, offset, offset, gfx(0.05 * scale), BLACK);
    frame.flip_vertical();
    frame
}

/// Gymnasium's `clockwise.png` (329x312 pixels, black on transparent) as outlines in its own pixel
/// units: a ring three quarters round from the top, clockwise, and an arrowhead on its left end.
mod arrow {
    pub const SIZE: (f64, f64) = (329.0, 312.0);
    pub const CENTRE: (f64, f64) = (173.2, 156.05);
    pub const RADII: (f64, f64) = (146.25, 156.25);
    /// Start and end of the ring, in degrees from the x axis with y down (the end hides in the head).
    pub const ANGLES: (f64, f64) = (-91.06, 186.0);
    pub const HEAD: [(f64, f64); 5] = [(21.5, 110.5), (45.5, 170.2), (27.4, 156.8), (16.5, 157.0), (-0.5, 170.2)];
}

/// Draws the arrow bitmap as Gymnasium blits it: scaled to `size` x `size` pixels (truncated),
/// flipped upside down (and mirrored for a positive torque) and centred on `(centre, centre)`,
/// all before the final flip of the picture.
fn torque_arrow(frame: &mut Frame, centre: i32, size: f64, mirrored: bool) {
    let side = gfx(size);
    if side <= 0 {
        return;
    }
    let corner = (centre - side / 2) as f64;
    let side = side as f64;
    let place = |(x, y): (f64, f64)| {
        let (x, y) = (x / arrow::SIZE.0 * side, y / arrow::SIZE.1 * side);
        (corner + if mirrored { side - x } else { x }, corner + side - y)
    };
    const SEGMENTS: usize = 96;
    let (start, end) = (arrow::ANGLES.0.to_radians(), arrow::ANGLES.1.to_radians());
    let arc = |r: f64, i: usize| {
        let a = start + (end - start) * i as f64 / SEGMENTS as f64;
        place((arrow::CENTRE.0 + r * a.cos(), arrow::CENTRE.1 + r * a.sin()))
    };
    let ring: Vec<(f64, f64)> = (0..=SEGMENTS)
        .map(|i| arc(arrow::RADII.1, i))
        .chain((0..=SEGMENTS).rev().map(|i| arc(arrow::RADII.0, i)))
        .collect();
    let mut head: Vec<(f64, f64)> = arrow::HEAD.iter().map(|&p| place(p)).collect();
    if signed_area(&head).signum() != signed_area(&ring).signum() {
        head.reverse();
    }
    frame.fill_aa(&[ring, head], BLACK);
}

/// Twice the signed area of a closed outline (its sign is the orientation).
fn signed_area(points: &[(f64, f64)]) -> f64 {
    (0..points.len())
        .map(|i| {
            let ((x0, y0), (x1, y1)) = (points[i], points[(i + 1) % points.len()]);
            x0 * y1 - x1 * y0
        })
        .sum()
}

// Pictures from observation rows (see `ObservationPainter`): each classic observation holds
// what its picture needs, angles as cosine and sine where the env observes them so.

/// CartPole's picture from its observation (its state).
pub fn paint_cartpole(obs: &[f32], _action: &[f32]) -> Result<Frame> {
    check_painted_row("CartPole", obs, 4)?;
    Ok(cartpole(&std::array::from_fn(|i| f64::from(obs[i]))))
}

/// Acrobot's picture from `[cos t1, sin t1, cos t2, sin t2, dt1, dt2]`.
pub fn paint_acrobot(obs: &[f32], _action: &[f32]) -> Result<Frame> {
    check_painted_row("Acrobot", obs, 6)?;
    let angle = |cos: f32, sin: f32| f64::from(sin).atan2(f64::from(cos));
    Ok(acrobot(&[angle(obs[0], obs[1]), angle(obs[2], obs[3]), f64::from(obs[4]), f64::from(obs[5])]))
}

/// Pendulum's picture from `[cos theta, sin theta, dtheta]`, with the arrow of the torque applied.
pub fn paint_pendulum(obs: &[f32], action: &[f32]) -> Result<Frame> {
    check_painted_row("Pendulum", obs, 3)?;
    let theta = f64::from(obs[1]).atan2(f64::from(obs[0]));
    Ok(pendulum(theta, action.first().map(|&u| f64::from(u))))
}

/// A mountain car's picture from `[position, velocity]`, the flag at `goal_position`.
pub fn mountain_car_painter(goal_position: f64) -> ObservationPainter {
    Arc::new(move |obs, _| {
        check_painted_row("MountainCar", obs, 2)?;
        Ok(mountain_car(f64::from(obs[0]), goal_position))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pygame_rotation_is_exact_at_right_angles() {
        assert_eq!(rotate((3.0, 4.0), 0.0), (3.0, 4.0));
        assert_eq!(rotate((3.0, 4.0), PI / 2.0), (-4.0, 3.0));
        assert_eq!(rotate((3.0, 4.0), -PI), (-3.0, -4.0));
        let (x, y) = rotate((1.0, 0.0), 0.3);
        assert!((x - 0.3f64.cos()).abs() < 1e-15 && (y - 0.3f64.sin()).abs() < 1e-15);
    }

    #[test]
    fn gfx_coordinates_truncate_toward_zero() {
        assert_eq!(gfx(2.9), 2);
        assert_eq!(gfx(-2.9), -2);
        assert_eq!(gfx(f64::NAN), 0);
    }

    #[test]
    fn pictures_have_gymnasium_sizes() {
        for (frame, (w, h)) in [
            (cartpole(&[0.0; 4]), (600, 400)),
            (mountain_car(-0.5, 0.5), (600, 400)),
            (acrobot(&[0.0; 4]), (500, 500)),
            (pendulum(0.0, Some(1.0)), (500, 500)),
        ] {
            assert_eq!((frame.width, frame.height, frame.pixels.len()), (w, h, w * h * 3));
        }
    }

    #[test]
    fn extreme_states_do_not_panic() {
        for v in [f64::NAN, f64::INFINITY, -1e12, 1e5, 40.0] {
            cartpole(&[v, v, v, v]);
            mountain_car(v, 0.45);
            acrobot(&[v, -v, 0.0, 0.0]);
            pendulum(v, Some(v));
        }
    }

    #[test]
    fn cartpole_moves_with_x() {
        // The cart spans x * 125 + 300 +- 25 across and rows 285..=314 (y up, 400 high); the pole
        // covers its middle 10 columns.
        let frame = cartpole(&[1.0, 0.0, 0.0, 0.0]);
        assert_eq!(frame.pixel(405, 290), BLACK);
        assert_eq!(frame.pixel(300, 290), WHITE);
        assert_eq!(frame.pixel(10, 299), BLACK); // the track
    }

    /// The mean position of the pixels where `frame` differs from `base`.
    fn centroid_of_change(frame: &Frame, base: &Frame) -> (f64, f64) {
        let changed: Vec<(f64, f64)> = (0..frame.height)
            .flat_map(|y| (0..frame.width).map(move |x| (x, y)))
            .filter(|&(x, y)| frame.pixel(x, y) != base.pixel(x, y))
            .map(|(x, y)| (x as f64, y as f64))
            .collect();
        let n = changed.len() as f64;
        (changed.iter().map(|p| p.0).sum::<f64>() / n, changed.iter().map(|p| p.1).sum::<f64>() / n)
    }

    #[test]
    fn pendulum_arrow_follows_torque_sign() {
        // The arrow is three quarters of a ring, open at the upper left for a negative torque (as
        // drawn in clockwise.png) and mirrored for a positive one.
        let none = pendulum(0.0, None);
        let (x, y) = centroid_of_change(&pendulum(0.0, Some(-2.0)), &none);
        assert!(x > 255.0 && y > 255.0, "({x}, {y})");
        let (x, y) = centroid_of_change(&pendulum(0.0, Some(2.0)), &none);
        assert!(x < 245.0 && y > 255.0, "({x}, {y})");
        assert_eq!(pendulum(0.0, Some(0.0)), none);
    }
}

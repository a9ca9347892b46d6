//! A small software rasterizer on [`Frame`].
//!
//! Gymnasium draws its pictures with pygame, whose primitives come from SDL_gfx (`pygame.gfxdraw`)
//! and from pygame's own `draw.c`. The primitives here reproduce those algorithms step by step (the
//! same integer and float arithmetic, the same anti-aliasing weights), so a picture drawn with them
//! matches Gymnasium's pixel for pixel. [`Frame::fill_aa`] adds what pygame has no primitive for: an
//! anti-aliased (area coverage) fill of any outline, used for shapes Gymnasium draws from bitmaps.
//!
//! Coordinates are pixels, x right and y down like a pygame surface (Gymnasium draws with y up and
//! then flips: [`Frame::flip_vertical`]). Everything is clipped to the frame: drawing partly or wholly
//! outside it is fine. The SDL_gfx primitives clamp integer coordinates to its `Sint16` range.

use super::Frame;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// Sub-scanlines per pixel row in [`Frame::fill_aa`].
const AA_SUBROWS: usize = 16;

impl Frame {
    /// The byte offset of pixel `(x, y)`, or `None` outside the frame.
    fn offset(&self, x: i32, y: i32) -> Option<usize> {
        let (x, y) = (usize::try_from(x).ok()?, usize::try_from(y).ok()?);
        (x < self.width && y < self.height).then_some((y * self.width + x) * 3)
    }

    fn right(&self) -> i32 {
        self.width as i32 - 1
    }

    fn bottom(&self) -> i32 {
        self.height as i32 - 1
    }

    /// Sets one pixel; outside the frame nothing happens.
    pub fn put_pixel(&mut self, x: i32, y: i32, rgb: Rgb) {
        if let Some(i) = self.offset(x, y) {
            self.pixels[i..i + 3].copy_from_slice(&rgb);
        }
    }

    /// SDL_gfx's blend of a partly covering colour: `d + ((s - d) * alpha >> 8)`, 255 meaning opaque.
    fn blend_gfx(&mut self, x: i32, y: i32, rgb: Rgb, alpha: u32) {
        if alpha >= 255 {
            return self.put_pixel(x, y, rgb);
        }
        if let Some(i) = self.offset(x, y) {
            for (d, &s) in self.pixels[i..i + 3].iter_mut().zip(&rgb) {
                *d = (*d as i32 + (((s as i32 - *d as i32) * alpha as i32) >> 8)) as u8;
            }
        }
    }

    /// SDL_gfx's `pixelColorWeight`: the alpha of an opaque colour scaled by `weight / 256`.
    fn blend_weighted(&mut self, x: i32, y: i32, rgb: Rgb, weight: u32) {
        self.blend_gfx(x, y, rgb, (255 * weight) >> 8);
    }

    /// A horizontal run of pixels from `x1` to `x2` inclusive, in either order (`gfxdraw.hline`).
    pub fn hline(&mut self, x1: i32, x2: i32, y: i32, rgb: Rgb) {
        let (lo, hi) = (x1.min(x2).max(0), x1.max(x2).min(self.right()));
        if lo > hi || y < 0 || y > self.bottom() {
            return;
        }
        let row = y as usize * self.width;
        for px in self.pixels[(row + lo as usize) * 3..(row + hi as usize + 1) * 3].chunks_exact_mut(3) {
            px.copy_from_slice(&rgb);
        }
    }

    /// A vertical run of pixels from `y1` to `y2` inclusive, in either order (`gfxdraw.vline`).
    pub fn vline(&mut self, x: i32, y1: i32, y2: i32, rgb: Rgb) {
        for y in y1.min(y2).max(0)..=y1.max(y2).min(self.bottom()) {
            self.put_pixel(x, y, rgb);
        }
    }

    /// A one-pixel line without anti-aliasing, ends included (`pygame.draw.line` with width 1).
    pub fn line(&mut self, from: (i32, i32), to: (i32, i32), rgb: Rgb) {
        let Some(((mut x1, mut y1), (x2, y2))) = self.clip_segment(from, to) else { return };
        let (dx, sx) = ((x2 - x1).abs(), if x1 < x2 { 1 } else { -1 });
        let (dy, sy) = ((y2 - y1).abs(), if y1 < y2 { 1 } else { -1 });
        let mut err = if dx > dy { dx } else { -dy } / 2;
        while x1 != x2 || y1 != y2 {
            self.put_pixel(x1, y1, rgb);
            let e2 = err;
            if e2 > -dx {
                err -= dy;
                x1 += sx;
            }
            if e2 < dy {
                err += dx;
                y1 += sy;
            }
        }
        self.put_pixel(x2, y2, rgb);
    }

    /// pygame's Liang-Barsky clip of a segment to the frame (one pixel past the right and bottom
    /// edges, as pygame does), ends rounded to the nearest pixel; `None` when nothing is visible.
    fn clip_segment(&self, (x1, y1): (i32, i32), (x2, y2): (i32, i32)) -> Option<((i32, i32), (i32, i32))> {
        let (x1, y1, x2, y2) = (x1 as i64, y1 as i64, x2 as i64, y2 as i64);
        let (w, h) = (self.width as i64, self.height as i64);
        let (p, q) = ([x1 - x2, x2 - x1, y1 - y2, y2 - y1], [x1, w - x1, y1, h - y1]);
        if p.iter().zip(&q).any(|(&p, &q)| p == 0 && q < 0) {
            return None;
        }
        let (mut nmax, mut pmin) = (0.0f64, 1.0f64);
        for (pair, qs) in p.chunks_exact(2).zip(q.chunks_exact(2)) {
            if pair[0] == 0 {
                continue;
            }
            let (r1, r2) = (qs[0] as f64 / pair[0] as f64, qs[1] as f64 / pair[1] as f64);
            let (enter, leave) = if pair[0] < 0 { (r1, r2) } else { (r2, r1) };
            nmax = nmax.max(enter);
            pmin = pmin.min(leave);
        }
        if nmax > pmin {
            return None;
        }
        let round = |v: f64| (if v < 0.0 { v - 0.5 } else { v + 0.5 }) as i64;
        // Within the frame (or one pixel past it) now, so the ends fit in i32.
        let at = |t: f64| ((x1 + round(p[1] as f64 * t)) as i32, (y1 + round(p[3] as f64 * t)) as i32);
        Some((at(nmax), at(pmin)))
    }

    /// The outline of a polygon, anti-aliased (`gfxdraw.aapolygon`): each edge, closing one included,
    /// is an SDL_gfx Wu line without its last pixel.
    pub fn aa_polygon(&mut self, points: &[(i32, i32)], rgb: Rgb) {
        if points.len() < 3 {
            return;
        }
        let points: Vec<(i32, i32)> = points.iter().map(|&(x, y)| (sint16(x), sint16(y))).collect();
        for (i, &from) in points.iter().enumerate() {
            self.aa_edge(from, points[(i + 1) % points.len()], rgb);
        }
    }

    /// SDL_gfx's `_aalineColor` without the endpoint: Wu's algorithm with 8-bit weights accumulated
    /// in a 32-bit fixed-point error term.
    fn aa_edge(&mut self, from: (i32, i32), to: (i32, i32), rgb: Rgb) {
        let Some(((x1, y1), (x2, y2))) = self.clip_edge(from, to) else { return };
        let ((mut x0, mut y0), (xe, ye)) = if y1 > y2 { ((x2, y2), (x1, y1)) } else { ((x1, y1), (x2, y2)) };
        let (mut dx, mut dy) = (xe - x0, ye - y0);
        if dx == 0 {
            return if dy > 0 { self.vline(x1, y0, y0 + dy, rgb) } else { self.put_pixel(x1, y1, rgb) };
        }
        if dy == 0 {
            return self.hline(x0, x0 + dx, y1, rgb);
        }
        let xdir = if dx >= 0 { 1 } else { -1 };
        dx = dx.abs();
        // The first pixel is the (clipped) start as given, before the top-down reordering.
        self.put_pixel(x1, y1, rgb);
        // A 32-bit accumulator whose wrap-around moves the minor coordinate; for a 45-degree edge the
        // step overflows to 0 in SDL_gfx's `int` arithmetic, and `acc <= before` then moves every time.
        let mut acc: u32 = 0;
        if dy > dx {
            let step = (((dx << 16) / dy) as u32) << 16;
            let mut x_next = x0 + xdir;
            while dy > 1 {
                dy -= 1;
                let before = acc;
                acc = acc.wrapping_add(step);
                if acc <= before {
                    x0 = x_next;
                    x_next += xdir;
                }
                y0 += 1;
                let weight = acc >> 24;
                self.blend_weighted(x0, y0, rgb, 255 - weight);
                self.blend_weighted(x_next, y0, rgb, weight);
            }
        } else {
            let step = (((dy << 16) / dx) as u32) << 16;
            let mut y_next = y0 + 1;
            while dx > 1 {
                dx -= 1;
                let before = acc;
                acc = acc.wrapping_add(step);
                if acc <= before {
                    y0 = y_next;
                    y_next += 1;
                }
                x0 += xdir;
                let weight = acc >> 24;
                self.blend_weighted(x0, y0, rgb, 255 - weight);
                self.blend_weighted(x0, y_next, rgb, weight);
            }
        }
    }

    /// SDL_gfx's Cohen-Sutherland clip of a line to the frame, with its float slope and truncation.
    /// The ends may come back swapped, as in SDL_gfx (whose first pixel depends on it).
    fn clip_edge(
        &self,
        (mut x1, mut y1): (i32, i32),
        (mut x2, mut y2): (i32, i32),
    ) -> Option<((i32, i32), (i32, i32))> {
        const LEFT: u8 = 1;
        const RIGHT: u8 = 2;
        const BOTTOM: u8 = 4;
        const TOP: u8 = 8;
        let (right, bottom) = (self.right(), self.bottom());
        let code = |x: i32, y: i32| {
            let horizontal = if x < 0 {
                LEFT
            } else if x > right {
                RIGHT
            } else {
                0
            };
            horizontal
                | if y < 0 {
                    TOP
                } else if y > bottom {
                    BOTTOM
                } else {
                    0
                }
        };
        // Each pass moves one end onto an edge; a handful always suffice.
        for _ in 0..8 {
            let (mut c1, c2) = (code(x1, y1), code(x2, y2));
            if c1 | c2 == 0 {
                return Some(((x1, y1), (x2, y2)));
            }
            if c1 & c2 != 0 {
                return None;
            }
            if c1 == 0 {
                (x1, y1, x2, y2, c1) = (x2, y2, x1, y1, c2);
            }
            let m = if x2 != x1 { (y2 - y1) as f32 / (x2 - x1) as f32 } else { 1.0 };
            if c1 & LEFT != 0 {
                y1 += (-x1 as f32 * m) as i32;
                x1 = 0;
            } else if c1 & RIGHT != 0 {
                y1 += ((right - x1) as f32 * m) as i32;
                x1 = right;
            } else if c1 & BOTTOM != 0 {
                if x2 != x1 {
                    x1 += ((bottom - y1) as f32 / m) as i32;
                }
                y1 = bottom;
            } else {
                if x2 != x1 {
                    x1 += (-y1 as f32 / m) as i32;
                }
                y1 = 0;
            }
        }
        None
    }

    /// A filled polygon (`gfxdraw.filled_polygon`): SDL_gfx's even-odd scanline fill, with its 16.16
    /// fixed-point edge crossings and rounding, so the filled area sits inside the AA outline.
    pub fn fill_polygon(&mut self, points: &[(i32, i32)], rgb: Rgb) {
        if points.len() < 3 || self.width == 0 {
            return;
        }
        let points: Vec<(i32, i32)> = points.iter().map(|&(x, y)| (sint16(x), sint16(y))).collect();
        let miny = points.iter().map(|p| p.1).min().unwrap_or(0);
        let maxy = points.iter().map(|p| p.1).max().unwrap_or(0);
        let mut crossings: Vec<i64> = Vec::with_capacity(points.len());
        for y in miny.max(0)..=maxy.min(self.bottom()) {
            crossings.clear();
            for (i, &b) in points.iter().enumerate() {
                let a = points[(i + points.len() - 1) % points.len()];
                let ((xa, ya), (xb, yb)) = match a.1.cmp(&b.1) {
                    std::cmp::Ordering::Less => (a, b),
                    std::cmp::Ordering::Greater => (b, a),
                    std::cmp::Ordering::Equal => continue,
                };
                if (y >= ya && y < yb) || (y == maxy && y > ya && y <= yb) {
                    let t = (65536 * (y - ya) as i64) / (yb - ya) as i64;
                    crossings.push(t * (xb - xa) as i64 + 65536 * xa as i64);
                }
            }
            crossings.sort_unstable();
            let round = |v: i64| ((v >> 16) + ((v & 32768) >> 15)) as i32;
            for pair in crossings.chunks_exact(2) {
                self.hline(round(pair[0] + 1), round(pair[1] - 1), y, rgb);
            }
        }
    }

    /// A circle outline, anti-aliased (`gfxdraw.aacircle`: SDL_gfx's `aaellipseColor`).
    pub fn aa_circle(&mut self, x: i32, y: i32, r: i32, rgb: Rgb) {
        let (x, y, r) = (sint16(x), sint16(y), sint16(r));
        if r < 0 {
            return;
        }
        if r == 0 {
            return self.put_pixel(x, y, rgb);
        }
        if x + r < 0 || x - r > self.right() || y + r < 0 || y - r > self.bottom() {
            return;
        }
        let (a2, b2) = (r as i64 * r as i64, r as i64 * r as i64);
        let (ds, dt) = (2 * a2, 2 * b2);
        let (xc2, yc2) = (2 * x, 2 * y);
        let sab = ((a2 + b2) as f64).sqrt();
        let (mut t, mut s, mut d) = (0, -2 * a2 * r as i64, 0);
        let (mut xp, mut yp) = (x, y - r);
        for (px, py) in [(xp, yp), (xc2 - xp, yp), (xp, yc2 - yp), (xc2 - xp, yc2 - yp)] {
            self.put_pixel(px, py, rgb);
        }
        let weight_of = |num: i64, den: i64| -> u32 {
            let cp = if den != 0 { (num.abs() as f32 / den.abs() as f32).min(1.0) } else { 1.0 };
            (cp * 255.0) as u8 as u32
        };
        let dxt = (a2 as f64 / sab).round_ties_even() as i32;
        for _ in 1..=dxt {
            xp -= 1;
            d += t - b2;
            let ys;
            if d >= 0 {
                ys = yp - 1;
            } else if d - s - a2 > 0 {
                if 2 * d - s - a2 >= 0 {
                    ys = yp + 1;
                } else {
                    ys = yp;
                    yp += 1;
                    d -= s + a2;
                    s += ds;
                }
            } else {
                yp += 1;
                ys = yp + 1;
                d -= s + a2;
                s += ds;
            }
            t -= dt;
            let weight = weight_of(d, s);
            let xx = xc2 - xp;
            for (px, py, w) in [
                (xp, yp, 255 - weight),
                (xx, yp, 255 - weight),
                (xp, ys, weight),
                (xx, ys, weight),
                (xp, yc2 - yp, 255 - weight),
                (xx, yc2 - yp, 255 - weight),
                (xp, yc2 - ys, weight),
                (xx, yc2 - ys, weight),
            ] {
                self.blend_weighted(px, py, rgb, w);
            }
        }
        let dyt = (b2 as f64 / sab).round_ties_even() as i32;
        for _ in 1..=dyt {
            yp += 1;
            d -= s + a2;
            let xs;
            if d <= 0 {
                xs = xp + 1;
            } else if d + t - b2 < 0 {
                if 2 * d + t - b2 <= 0 {
                    xs = xp - 1;
                } else {
                    xs = xp;
                    xp -= 1;
                    d += t - b2;
                    t -= dt;
                }
            } else {
                xp -= 1;
                xs = xp - 1;
                d += t - b2;
                t -= dt;
            }
            s += ds;
            let weight = weight_of(d, t);
            let (xx, yy, xsx) = (xc2 - xp, yc2 - yp, xc2 - xs);
            for (px, py, w) in [
                (xp, yp, 255 - weight),
                (xx, yp, 255 - weight),
                (xp, yy, 255 - weight),
                (xx, yy, 255 - weight),
                (xs, yp, weight),
                (xsx, yp, weight),
                (xs, yy, weight),
                (xsx, yy, weight),
            ] {
                self.blend_weighted(px, py, rgb, w);
            }
        }
    }

    /// A filled disc (`gfxdraw.filled_circle`: SDL_gfx's midpoint circle drawn as horizontal runs).
    pub fn fill_circle(&mut self, x: i32, y: i32, r: i32, rgb: Rgb) {
        let (x, y, r) = (sint16(x), sint16(y), sint16(r));
        if r < 0 {
            return;
        }
        if r == 0 {
            return self.put_pixel(x, y, rgb);
        }
        if x + r < 0 || x - r > self.right() || y + r < 0 || y - r > self.bottom() {
            return;
        }
        let (mut cx, mut cy, mut ocx, mut ocy) = (0, r, -1, -1);
        let (mut df, mut d_e, mut d_se) = (1 - r, 3, 5 - 2 * r);
        while cx <= cy {
            if ocy != cy {
                if cy > 0 {
                    self.hline(x - cx, x + cx, y + cy, rgb);
                    self.hline(x - cx, x + cx, y - cy, rgb);
                } else {
                    self.hline(x - cx, x + cx, y, rgb);
                }
                ocy = cy;
            }
            if ocx != cx {
                if cx != cy {
                    if cx > 0 {
                        self.hline(x - cy, x + cy, y - cx, rgb);
                        self.hline(x - cy, x + cy, y + cx, rgb);
                    } else {
                        self.hline(x - cy, x + cy, y, rgb);
                    }
                }
                ocx = cx;
            }
            if df < 0 {
                df += d_e;
                d_e += 2;
                d_se += 2;
            } else {
                df += d_se;
                d_e += 2;
                d_se += 4;
                cy -= 1;
            }
            cx += 1;
        }
    }

    /// Connected anti-aliased line segments through float points (`pygame.draw.aalines`, open).
    pub fn aa_polyline(&mut self, points: &[(f32, f32)], rgb: Rgb) {
        for pair in points.windows(2) {
            self.aa_line(pair[0], pair[1], rgb);
        }
    }

    /// One anti-aliased line between float points (`pygame.draw.aaline`, blending on): Wu's
    /// algorithm with pygame's end-pixel weights and float (f32) arithmetic.
    pub fn aa_line(&mut self, (mut x0, mut y0): (f32, f32), (mut x1, mut y1): (f32, f32), rgb: Rgb) {
        if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) || self.width == 0 || self.height == 0 {
            return;
        }
        let (mut dx, mut dy) = (x1 - x0, y1 - y0);
        if dx.abs() < 0.0001 && dy.abs() < 0.0001 {
            let (x, y) = ((x0 + 0.5).floor() as i32, (y0 + 0.5).floor() as i32);
            return self.put_pixel(x, y, rgb);
        }
        // Clipped one pixel wider than the frame so that border pixels get their share.
        let (mut clip_left, mut clip_top) = (-1.0f32, -1.0f32);
        let (mut clip_right, mut clip_bottom) =
            (clip_left + self.width as f32 + 1.0, clip_top + self.height as f32 + 1.0);
        let steep = dx.abs() < dy.abs();
        if steep {
            (x0, y0, x1, y1, dx, dy) = (y0, x0, y1, x1, dy, dx);
            (clip_left, clip_top, clip_right, clip_bottom) = (clip_top, clip_left, clip_bottom, clip_right);
        }
        if dx < 0.0 {
            (x0, y0, x1, y1, dx, dy) = (x1, y1, x0, y0, -dx, -dy);
        }
        if x1 <= clip_left || x0 >= clip_right {
            return;
        }
        let gradient = dy / dx;
        if x0 < clip_left {
            y0 += gradient * (clip_left - x0);
            x0 = clip_left;
        }
        if x1 > clip_right {
            y1 += gradient * (clip_right - x1);
            x1 = clip_right;
        }
        if gradient > 0.0 {
            if y1 <= clip_top || y0 >= clip_bottom {
                return;
            }
            if y0 < clip_top {
                x0 += (clip_top - y0) / gradient;
                y0 = clip_top;
            }
            if y1 > clip_bottom {
                x1 += (clip_bottom - y1) / gradient;
                y1 = clip_bottom;
            }
        } else {
            if y0 <= clip_top || y1 >= clip_bottom {
                return;
            }
            if y1 < clip_top {
                x1 += (clip_top - y1) / gradient;
                y1 = clip_top;
            }
            if y0 > clip_bottom {
                x0 += (clip_bottom - y0) / gradient;
                y0 = clip_bottom;
            }
        }
        // Shifted down one pixel so that truncation rounds down; pixels are drawn one higher.
        y0 += 1.0;
        y1 += 1.0;
        let plot = |frame: &mut Frame, major: i32, minor: i32, brightness: f32| {
            let (x, y) = if steep { (minor, major) } else { (major, minor) };
            frame.blend_pygame(x, y, rgb, brightness);
        };
        let mut x_start = x0 as i32;
        let mut intersect = y0 + gradient * (x_start as f32 - x0);
        if x1 > clip_left + 1.0 {
            let gap = (1 + x_start) as f32 - x0;
            let minor = intersect as i32;
            let brightness = intersect - minor as f32;
            if (minor as f32) < intersect {
                plot(self, x_start, minor, brightness * gap);
            }
            plot(self, x_start, minor - 1, (1.0 - brightness) * gap);
            intersect += gradient;
            x_start += 1;
        }
        let x_end = x1.ceil() as i32;
        if x0 < clip_right - 1.0 {
            let end = y1 + gradient * (x_end as f32 - x1);
            let gap = (1 - x_end) as f32 + x1;
            let minor = end as i32;
            let brightness = end - minor as f32;
            if (minor as f32) < end {
                plot(self, x_end, minor, brightness * gap);
            }
            plot(self, x_end, minor - 1, (1.0 - brightness) * gap);
        }
        for major in x_start..x_end {
            let minor = intersect as i32;
            let brightness = 1.0 - intersect + minor as f32;
            plot(self, major, minor - 1, brightness);
            if (minor as f32) < intersect {
                plot(self, major, minor, 1.0 - brightness);
            }
            intersect += gradient;
        }
    }

    /// pygame's anti-aliasing blend: `brightness * colour + (1 - brightness) * background`, in f32,
    /// truncated.
    fn blend_pygame(&mut self, x: i32, y: i32, rgb: Rgb, brightness: f32) {
        if let Some(i) = self.offset(x, y) {
            for (d, &s) in self.pixels[i..i + 3].iter_mut().zip(&rgb) {
                *d = (brightness * s as f32 + (1.0 - brightness) * *d as f32) as u8;
            }
        }
    }

    /// Fills the union of closed outlines with anti-aliased edges: each pixel takes the colour in
    /// proportion to the share of its area inside (nonzero winding, 16 sub-rows per pixel row with
    /// exact horizontal coverage). Outlines need not be convex; give them all the same orientation.
    pub fn fill_aa(&mut self, outlines: &[Vec<(f64, f64)>], rgb: Rgb) {
        let mut edges = Vec::new();
        for outline in outlines {
            for (i, &a) in outline.iter().enumerate() {
                let b = outline[(i + 1) % outline.len()];
                if !(a.0.is_finite() && a.1.is_finite()) {
                    return;
                }
                if a.1 != b.1 {
                    edges.push(Edge::new(a, b));
                }
            }
        }
        if self.width == 0 || edges.is_empty() {
            return;
        }
        edges.sort_unstable_by(|a, b| a.top.total_cmp(&b.top));
        let lo = edges[0].top;
        let hi = edges.iter().map(|e| e.bottom).fold(f64::NEG_INFINITY, f64::max);
        let (first_row, last_row) = (lo.floor().max(0.0) as usize, hi.ceil().min(self.height as f64) as usize);
        let mut coverage = vec![0.0f32; self.width + 1];
        let (mut active, mut crossings): (Vec<&Edge>, Vec<(f64, i32)>) = (Vec::new(), Vec::new());
        let mut next = 0;
        for row in first_row..last_row {
            let (mut touched_lo, mut touched_hi) = (self.width, 0);
            for sub in 0..AA_SUBROWS {
                let sy = row as f64 + (sub as f64 + 0.5) / AA_SUBROWS as f64;
                while next < edges.len() && edges[next].top <= sy {
                    active.push(&edges[next]);
                    next += 1;
                }
                active.retain(|e| e.bottom > sy);
                crossings.clear();
                crossings.extend(active.iter().map(|e| (e.x_at(sy), e.dir)));
                crossings.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                let mut winding = 0;
                let mut start = 0.0;
                for &(x, dir) in &crossings {
                    if winding == 0 {
                        start = x;
                    }
                    winding += dir;
                    if winding == 0 {
                        if let Some((lo, hi)) = add_span(&mut coverage, start, x, 1.0 / AA_SUBROWS as f32) {
                            (touched_lo, touched_hi) = (touched_lo.min(lo), touched_hi.max(hi));
                        }
                    }
                }
            }
            let end = touched_hi.min(self.width);
            if touched_lo < end {
                let row_start = row * self.width;
                let pixels = &mut self.pixels[(row_start + touched_lo) * 3..(row_start + end) * 3];
                for (px, cover) in pixels.chunks_exact_mut(3).zip(&mut coverage[touched_lo..end]) {
                    let alpha = std::mem::take(cover).min(1.0);
                    for (d, &s) in px.iter_mut().zip(&rgb) {
                        *d = (*d as f32 + (s as f32 - *d as f32) * alpha).round() as u8;
                    }
                }
            }
            coverage[self.width] = 0.0; // a span ending on the right edge may touch this extra column
        }
    }

    /// A straight stroke `width` pixels wide with square ends, anti-aliased.
    pub fn thick_line(&mut self, from: (f64, f64), to: (f64, f64), width: f64, rgb: Rgb) {
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let len = dx.hypot(dy);
        if len == 0.0 || !len.is_finite() {
            return;
        }
        let (nx, ny) = (-dy / len * width / 2.0, dx / len * width / 2.0);
        let quad = vec![
            (from.0 + nx, from.1 + ny),
            (to.0 + nx, to.1 + ny),
            (to.0 - nx, to.1 - ny),
            (from.0 - nx, from.1 - ny),
        ];
        self.fill_aa(&[quad], rgb);
    }

    /// Mirrors the frame top to bottom (`pygame.transform.flip(surface, False, True)`).
    pub fn flip_vertical(&mut self) {
        let stride = self.width * 3;
        let (mut top, mut bottom) = (0, self.height);
        while top + 1 < bottom {
            bottom -= 1;
            let (upper, lower) = self.pixels.split_at_mut(bottom * stride);
            upper[top * stride..(top + 1) * stride].swap_with_slice(&mut lower[..stride]);
            top += 1;
        }
    }
}

/// SDL_gfx's coordinates are `Sint16`: larger ones are clamped to that range (far outside any frame),
/// which keeps the integer arithmetic of the primitives from overflowing.
fn sint16(v: i32) -> i32 {
    v.clamp(i16::MIN as i32, i16::MAX as i32)
}

/// A non-horizontal outline edge, for [`Frame::fill_aa`]'s scan: it crosses rows in `[top, bottom)`.
struct Edge {
    top: f64,
    bottom: f64,
    x_top: f64,
    slope: f64,
    /// +1 going down, -1 going up: the winding contribution.
    dir: i32,
}

impl Edge {
    fn new(a: (f64, f64), b: (f64, f64)) -> Edge {
        let (upper, lower, dir) = if a.1 < b.1 { (a, b, 1) } else { (b, a, -1) };
        Edge { top: upper.1, bottom: lower.1, x_top: upper.0, slope: (lower.0 - upper.0) / (lower.1 - upper.1), dir }
    }

    fn x_at(&self, y: f64) -> f64 {
        self.x_top + (y - self.top) * self.slope
    }
}

/// Adds `weight` times the covered length of `[x0, x1)` to each pixel column of `coverage`; returns
/// the range of columns touched.
fn add_span(coverage: &mut [f32], x0: f64, x1: f64, weight: f32) -> Option<(usize, usize)> {
    let limit = (coverage.len() - 1) as f64;
    let (x0, x1) = (x0.max(0.0), x1.min(limit));
    if x0 >= x1 {
        return None;
    }
    let (first, last) = (x0.floor() as usize, x1.floor() as usize);
    if first == last {
        coverage[first] += (x1 - x0) as f32 * weight;
    } else {
        coverage[first] += (first as f64 + 1.0 - x0) as f32 * weight;
        for c in &mut coverage[first + 1..last] {
            *c += weight;
        }
        coverage[last] += (x1 - last as f64) as f32 * weight;
    }
    Some((first, last + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Rgb = [255, 255, 255];
    const BLACK: Rgb = [0, 0, 0];

    fn blank(w: usize, h: usize) -> Frame {
        Frame::filled(w, h, WHITE)
    }

    /// The pixels that are not white, as `(x, y)`.
    fn inked(frame: &Frame) -> Vec<(usize, usize)> {
        (0..frame.height)
            .flat_map(|y| (0..frame.width).map(move |x| (x, y)))
            .filter(|&(x, y)| frame.pixel(x, y) != WHITE)
            .collect()
    }

    /// How much ink, in whole pixels: each pixel counts by how dark it is.
    fn ink(frame: &Frame) -> f64 {
        frame.pixels.iter().map(|&v| (255 - v) as f64 / 255.0).sum::<f64>() / 3.0
    }

    #[test]
    fn fill_polygon_covers_a_square_with_both_ends() {
        let mut frame = blank(10, 10);
        frame.fill_polygon(&[(2, 2), (2, 6), (6, 6), (6, 2)], BLACK);
        let pixels = inked(&frame);
        assert_eq!(pixels.len(), 25);
        assert!(pixels.iter().all(|&(x, y)| (2..=6).contains(&x) && (2..=6).contains(&y)));
    }

    #[test]
    fn fill_polygon_leaves_the_notch_of_a_concave_shape() {
        // A U: two prongs joined at the bottom rows.
        let mut frame = blank(12, 12);
        frame.fill_polygon(&[(1, 1), (1, 10), (10, 10), (10, 1), (7, 1), (7, 7), (4, 7), (4, 1)], BLACK);
        assert_eq!(frame.pixel(2, 3), BLACK);
        assert_eq!(frame.pixel(9, 3), BLACK);
        assert_eq!(frame.pixel(5, 3), WHITE);
        assert_eq!(frame.pixel(5, 9), BLACK);
    }

    #[test]
    fn aa_polygon_outlines_an_axis_aligned_square() {
        let mut frame = blank(10, 10);
        frame.aa_polygon(&[(2, 2), (2, 6), (6, 6), (6, 2)], BLACK);
        let pixels = inked(&frame);
        assert_eq!(pixels.len(), 16);
        assert!(pixels.iter().all(|&(x, y)| x == 2 || x == 6 || y == 2 || y == 6));
        assert_eq!(frame.pixel(4, 4), WHITE);
    }

    #[test]
    fn aa_edge_splits_each_column_between_two_pixels() {
        let mut frame = blank(20, 10);
        frame.aa_edge((1, 1), (15, 5), BLACK);
        assert_eq!(frame.pixel(1, 1), BLACK);
        for x in 2..15 {
            let column: f64 = (0..10).map(|y| (255 - frame.pixel(x, y)[0]) as f64 / 255.0).sum();
            assert!((0.98..=1.0).contains(&column), "column {x}: {column}");
        }
        // No endpoint, as in gfxdraw.aapolygon.
        assert_eq!(frame.pixel(15, 5), WHITE);
    }

    #[test]
    fn aa_edge_on_a_diagonal_is_solid() {
        let mut frame = blank(10, 10);
        frame.aa_edge((1, 1), (6, 6), BLACK);
        for i in 1..6 {
            assert!(frame.pixel(i, i)[0] <= 1, "{i}: {:?}", frame.pixel(i, i));
        }
        assert_eq!(inked(&frame).len(), 5);
    }

    #[test]
    fn gfx_blend_is_sdl_gfx_arithmetic() {
        let mut frame = blank(1, 1);
        frame.blend_weighted(0, 0, BLACK, 255);
        assert_eq!(frame.pixel(0, 0), [1, 1, 1]); // alpha 254
        let mut frame = blank(1, 1);
        frame.blend_gfx(0, 0, [0, 100, 255], 128);
        assert_eq!(frame.pixel(0, 0), [127, 177, 255]);
    }

    #[test]
    fn aa_circle_rings_the_centre() {
        let (c, r) = (20, 8);
        let mut frame = blank(41, 41);
        frame.aa_circle(c, c, r, BLACK);
        let pixels = inked(&frame);
        assert!(!pixels.is_empty());
        for (x, y) in pixels {
            let d = ((x as f64 - c as f64).powi(2) + (y as f64 - c as f64).powi(2)).sqrt();
            assert!((d - r as f64).abs() < 1.5, "({x}, {y}) at {d}");
        }
        for (x, y) in [(28, 20), (12, 20), (20, 28), (20, 12)] {
            assert_eq!(frame.pixel(x, y), BLACK);
        }
    }

    #[test]
    fn fill_circle_has_the_area_of_a_disc() {
        let mut frame = blank(41, 41);
        frame.fill_circle(20, 20, 10, BLACK);
        let pixels = inked(&frame);
        assert_eq!(pixels.len(), 333); // as gfxdraw.filled_circle(s, 20, 20, 10, c) fills (pi r^2 = 314)
        assert!(pixels.iter().all(|&(x, y)| (x as f64 - 20.0).hypot(y as f64 - 20.0) <= 10.5));
        assert_eq!(frame.pixel(30, 20), BLACK);
    }

    #[test]
    fn line_draws_both_ends() {
        let mut frame = blank(10, 10);
        frame.line((1, 2), (7, 5), BLACK);
        assert_eq!(frame.pixel(1, 2), BLACK);
        assert_eq!(frame.pixel(7, 5), BLACK);
        assert_eq!(inked(&frame).len(), 7);
    }

    #[test]
    fn aa_line_on_a_pixel_row_is_one_row() {
        let mut frame = blank(12, 12);
        frame.aa_line((1.0, 5.0), (10.0, 5.0), BLACK);
        for x in 2..10 {
            assert_eq!(frame.pixel(x, 5), BLACK);
        }
        assert!(inked(&frame).iter().all(|&(_, y)| y == 5));
    }

    #[test]
    fn aa_line_between_rows_shares_the_ink() {
        let mut frame = blank(12, 12);
        frame.aa_line((1.0, 5.5), (10.0, 5.5), BLACK);
        // Pixel centres sit on whole coordinates here: half on row 5, half on row 6 (pygame: 127).
        for x in 2..10 {
            assert_eq!([frame.pixel(x, 5)[0], frame.pixel(x, 6)[0]], [127, 127]);
        }
        assert!(inked(&frame).iter().all(|&(_, y)| y == 5 || y == 6));
    }

    #[test]
    fn fill_aa_covers_partial_pixels_by_area() {
        let mut frame = blank(4, 3);
        frame.fill_aa(&[vec![(0.5, 0.0), (2.5, 0.0), (2.5, 2.0), (0.5, 2.0)]], BLACK);
        for y in 0..2 {
            assert_eq!(frame.pixel(0, y), [128; 3]);
            assert_eq!(frame.pixel(1, y), BLACK);
            assert_eq!(frame.pixel(2, y), [128; 3]);
        }
        assert_eq!(frame.pixel(1, 2), WHITE);
    }

    #[test]
    fn fill_aa_unites_overlapping_outlines() {
        let square = |x0: f64| vec![(x0, 2.0), (x0 + 6.0, 2.0), (x0 + 6.0, 8.0), (x0, 8.0)];
        let mut frame = blank(20, 10);
        frame.fill_aa(&[square(2.0), square(5.0)], BLACK);
        assert!((ink(&frame) - 9.0 * 6.0).abs() < 0.5, "{}", ink(&frame));
    }

    #[test]
    fn thick_line_has_its_area() {
        let mut frame = blank(40, 40);
        frame.thick_line((5.3, 7.1), (30.2, 28.8), 3.0, BLACK);
        let length = (30.2f64 - 5.3).hypot(28.8 - 7.1);
        assert!((ink(&frame) - 3.0 * length).abs() < 1.0, "{} vs {}", ink(&frame), 3.0 * length);
    }

    #[test]
    fn flip_vertical_reverses_rows() {
        for height in [1, 4, 5] {
            let mut frame = blank(3, height);
            frame.put_pixel(1, 0, BLACK);
            frame.flip_vertical();
            assert_eq!(inked(&frame), vec![(1, height - 1)]);
        }
    }

    #[test]
    fn drawing_outside_the_frame_is_clipped() {
        let mut frame = blank(20, 10);
        frame.fill_polygon(&[(-30, -5), (15, 3), (40, 40)], BLACK);
        frame.aa_polygon(&[(-30, -5), (15, 3), (40, 40)], BLACK);
        frame.aa_circle(19, 0, 6, BLACK);
        frame.fill_circle(-3, 9, 5, BLACK);
        frame.line((-100, 5), (100, 7), BLACK);
        frame.aa_line((-50.5, 20.0), (70.0, -3.2), BLACK);
        frame.hline(-5, 50, 9, BLACK);
        frame.vline(19, -5, 50, BLACK);
        frame.thick_line((-10.0, -10.0), (30.0, 30.0), 4.0, BLACK);
        frame.put_pixel(-1, 3, BLACK);
        assert_eq!(frame.pixels.len(), 20 * 10 * 3);
        assert_eq!(frame.pixel(19, 5), BLACK);
        assert_eq!(frame.pixel(0, 9), BLACK);
    }

    #[test]
    fn drawing_far_outside_or_on_an_empty_frame_does_nothing() {
        let far = 16_000;
        for mut frame in [blank(20, 10), blank(0, 0), blank(0, 5)] {
            let before = frame.clone();
            frame.fill_polygon(&[(far, far), (far + 5, far), (far, far + 5)], BLACK);
            frame.aa_polygon(&[(-far, 0), (-far + 5, 3), (-far, 7)], BLACK);
            frame.aa_circle(far, 0, 30, BLACK);
            frame.fill_circle(0, -far, 30, BLACK);
            frame.line((far, 0), (far, 5), BLACK);
            frame.aa_line((0.0, 1e9), (5.0, f32::INFINITY), BLACK);
            frame.aa_line((-1e9, -5.0), (-1e8, 3.0), BLACK);
            frame.fill_aa(&[vec![(0.0, 1e12), (5.0, 1e12), (0.0, 2e12)]], BLACK);
            frame.fill_aa(&[vec![(f64::NAN, 0.0), (5.0, 0.0), (0.0, 5.0)]], BLACK);
            frame.aa_polygon(&[(i32::MIN, i32::MIN), (i32::MAX, i32::MIN), (i32::MIN, i32::MAX)], BLACK);
            frame.aa_circle(i32::MAX, i32::MAX, i32::MAX, BLACK);
            frame.fill_circle(i32::MIN, 0, i32::MAX, BLACK);
            frame.line((i32::MIN, 3), (i32::MIN + 2, i32::MAX), BLACK);
            assert_eq!(frame, before);
        }
    }
}

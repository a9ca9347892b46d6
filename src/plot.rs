//! Plots as PNG bytes: a run's learning curve, and several runs compared; captions under
//! rendered frames (a gridworld's mission).
//!
//! Drawn with plotters into an RGB buffer, with DejaVu Sans embedded in the binary (no system
//! fonts needed; licence in `assets/fonts/`), and encoded by the environment layer's PNG writer.

use anyhow::{anyhow, Result};
use limbic_environments::render::{encode_png_with, PngCompression};
use limbic_environments::Frame;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use serde_json::{Map, Value as Json};
use std::sync::Once;

const SIZE: (u32, u32) = (960, 600);
const FONT: &str = "sans-serif";
/// Points per compared curve at most.
const MAX_POINTS: usize = 400;
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Points `(env_steps, value)` of one metric over a run's `metrics.jsonl` lines that have it.
pub fn series(lines: &[Map<String, Json>], key: &str) -> Vec<(f64, f64)> {
    let value = |line: &Map<String, Json>, k: &str| line.get(k).and_then(Json::as_f64);
    lines.iter().filter_map(|l| Some((value(l, "env_steps")?, value(l, key)?))).collect()
}

/// The learning curve of one run: the mean return of the last 100 training episodes and the
/// evaluations with their 95% confidence intervals, over env steps.
pub fn learning_curve(lines: &[Map<String, Json>], title: &str) -> Result<Vec<u8>> {
    let train = series(lines, "return_mean_100");
    let eval = series(lines, "eval/mean_return");
    let low = series(lines, "eval/ci95_low");
    let high = series(lines, "eval/ci95_high");
    let all = train.iter().chain(&eval).chain(&low).chain(&high);
    draw(title, "return", all, |chart| {
        if low.len() == high.len() && !low.is_empty() {
            let band = low.iter().copied().chain(high.iter().rev().copied()).collect::<Vec<_>>();
            chart.draw_series([Polygon::new(band, PALETTE[1].mix(0.2).filled())]).map_err(plot_error)?;
        }
        chart
            .draw_series(LineSeries::new(train.iter().copied(), PALETTE[0].stroke_width(2)))
            .map_err(plot_error)?
            .label("training (mean of last 100 episodes)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], PALETTE[0].stroke_width(2)));
        chart
            .draw_series(LineSeries::new(eval.iter().copied(), PALETTE[1].stroke_width(2)).point_size(3))
            .map_err(plot_error)?
            .label("evaluation (mean, 95% CI)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], PALETTE[1].stroke_width(2)));
        Ok(())
    })
}

/// A group of runs (e.g. seeds of one algorithm on one env) and the curve of each.
pub struct Group {
    pub label: String,
    /// The env id the runs trained on (named in the plot's title).
    pub env: String,
    pub runs: Vec<Vec<(f64, f64)>>,
}

/// "`metric` on ENV" with each distinct env of the groups, in order of appearance.
pub fn compare_title(groups: &[Group], metric: &str) -> String {
    let mut envs: Vec<&str> = Vec::new();
    for group in groups {
        if !envs.contains(&group.env.as_str()) {
            envs.push(&group.env);
        }
    }
    if envs.is_empty() {
        format!("{metric} over env steps")
    } else {
        format!("{metric} on {}", envs.join(", "))
    }
}

/// Several groups in one plot: each group's mean over its runs as a line, and the min-max spread
/// across runs shaded. Runs are interpolated onto a common grid of env steps; at each point
/// only the runs that reach it count.
pub fn compare(groups: &[Group], metric: &str) -> Result<Vec<u8>> {
    let summaries: Vec<Vec<(f64, f64, f64, f64)>> = groups.iter().map(|g| spread(&g.runs)).collect();
    let all: Vec<(f64, f64)> = summaries.iter().flatten().flat_map(|&(x, _, lo, hi)| [(x, lo), (x, hi)]).collect();
    draw(&compare_title(groups, metric), metric, all.iter(), |chart| {
        for (i, (group, summary)) in groups.iter().zip(&summaries).enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let band = summary.iter().map(|p| (p.0, p.2)).chain(summary.iter().rev().map(|p| (p.0, p.3)));
            chart
                .draw_series([Polygon::new(band.collect::<Vec<_>>(), colour.mix(0.2).filled())])
                .map_err(plot_error)?;
            let label =
                format!("{} ({} run{})", group.label, group.runs.len(), if group.runs.len() == 1 { "" } else { "s" });
            chart
                .draw_series(LineSeries::new(summary.iter().map(|p| (p.0, p.1)), colour.stroke_width(2)))
                .map_err(plot_error)?
                .label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        }
        Ok(())
    })
}

/// `(x, mean, min, max)` across runs at the env steps where runs logged a value (at most
/// [`MAX_POINTS`] of them, evenly picked), each run interpolated linearly between its points.
pub fn spread(runs: &[Vec<(f64, f64)>]) -> Vec<(f64, f64, f64, f64)> {
    let mut xs: Vec<f64> = runs.iter().flatten().map(|p| p.0).filter(|x| x.is_finite()).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    if xs.len() > MAX_POINTS {
        let last = xs.len() - 1;
        xs = (0..MAX_POINTS).map(|k| xs[k * last / (MAX_POINTS - 1)]).collect();
    }
    xs.into_iter()
        .filter_map(|x| {
            let ys: Vec<f64> = runs.iter().filter_map(|r| interpolate(r, x)).collect();
            if ys.is_empty() {
                return None;
            }
            let mean = ys.iter().sum::<f64>() / ys.len() as f64;
            let min = ys.iter().copied().fold(f64::INFINITY, f64::min);
            let max = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Some((x, mean, min, max))
        })
        .collect()
}

/// The run's value at `x` by linear interpolation; `None` outside its range.
fn interpolate(run: &[(f64, f64)], x: f64) -> Option<f64> {
    let after = run.iter().position(|p| p.0 >= x)?;
    let (x1, y1) = run[after];
    if x1 == x {
        return Some(y1);
    }
    let (x0, y0) = *run.get(after.checked_sub(1)?)?;
    Some(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
}

type Chart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Draws axes sized to `points`, lets `body` draw the series, adds the legend, encodes PNG.
fn draw<'p>(
    title: &str,
    y_label: &str,
    points: impl Iterator<Item = &'p (f64, f64)>,
    body: impl FnOnce(&mut Chart) -> Result<()>,
) -> Result<Vec<u8>> {
    render(SIZE, |root| panel(root, title, y_label, points, body))
}

/// A white picture of `size`, drawn by `paint`, as PNG.
fn render(size: (u32, u32), paint: impl FnOnce(&Area) -> Result<()>) -> Result<Vec<u8>> {
    register_embedded_font();
    let (width, height) = size;
    let mut pixels = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        paint(&root)?;
        root.present().map_err(plot_error)?;
    }
    Ok(encode_png_with(&Frame { width: width as usize, height: height as usize, pixels }, PngCompression::Best)?)
}

type Area<'b> = DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>;

/// One chart on `root`: axes sized to `points`, `body`'s series, the legend.
fn panel<'p>(
    root: &Area,
    title: &str,
    y_label: &str,
    points: impl Iterator<Item = &'p (f64, f64)>,
    body: impl FnOnce(&mut Chart) -> Result<()>,
) -> Result<()> {
    let (x_range, y_range) = ranges(points);
    {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x_range, y_range)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("env steps")
            .y_desc(y_label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .x_label_formatter(&|x| format_steps(*x))
            .light_line_style(RGBColor(246, 246, 246))
            .draw()
            .map_err(plot_error)?;
        body(&mut chart)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .draw()
            .map_err(plot_error)?;
    }
    Ok(())
}

/// Heatmaps of an episode's traced values (one panel per name, e.g. a slot memory's
/// `memory/write_gate` and `memory/read_weights`): steps across, one row per component
/// (slot), white 0 to dark 1; the actions and rewards as a strip under them.
pub fn trace(title: &str, steps: &[crate::evaluate::TraceStep]) -> Result<Vec<u8>> {
    let names: Vec<&String> = steps.first().map(|s| s.values.keys().collect()).unwrap_or_default();
    if names.is_empty() {
        return Err(anyhow!("the policy traced nothing: only memories with gates (slots) have a trace to plot"));
    }
    let height = 90 + 220 * names.len() as u32;
    render((SIZE.0, height), |root| {
        let (top, rest) = root.split_vertically(40);
        top.titled(title, (FONT, 22)).map_err(plot_error)?;
        for (area, name) in rest.split_evenly((names.len(), 1)).iter().zip(&names) {
            let rows = steps[0].values[*name].len();
            let mut chart = ChartBuilder::on(area)
                .caption(name.as_str(), (FONT, 17))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(48)
                .build_cartesian_2d(0.0..steps.len() as f64, 0.0..rows as f64)
                .map_err(plot_error)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc("step")
                .y_desc("slot")
                .label_style((FONT, 13))
                .y_labels(rows.min(16))
                .y_label_formatter(&|y| format!("{}", *y as usize))
                .draw()
                .map_err(plot_error)?;
            let cells = steps.iter().enumerate().flat_map(|(t, step)| {
                step.values[*name].iter().enumerate().map(move |(k, &v)| {
                    let shade = (255.0 * (1.0 - v.clamp(0.0, 1.0) as f64)) as u8;
                    let color = RGBColor(shade, shade, 255 - (255 - shade) / 3);
                    Rectangle::new([(t as f64, k as f64), (t as f64 + 1.0, k as f64 + 1.0)], color.filled())
                })
            });
            chart.draw_series(cells).map_err(plot_error)?;
        }
        Ok(())
    })
}

/// Per reward signal (the `reward/<signal>/...` metrics of a run with intrinsic rewards), one
/// panel each over env steps: the raw bonus, the bonus after normalization and weight, its
/// stream's share of the policy's advantage, its value head's squared error, and its weight.
/// A panel whose metric no signal logged is left out; `None` when the run has no signals.
pub fn reward_signals(lines: &[Map<String, Json>], title: &str) -> Option<Result<Vec<u8>>> {
    let mut signals: Vec<String> = lines
        .iter()
        .flat_map(|l| l.keys())
        .filter_map(|k| k.strip_prefix("reward/")?.strip_suffix("/weight").map(str::to_string))
        .collect();
    signals.sort();
    signals.dedup();
    if signals.is_empty() {
        return None;
    }
    const PANELS: [(&str, &str, &str); 5] = [
        ("raw_mean", "raw bonus per signal", "mean raw bonus"),
        ("mean", "bonus after the scaling stage", "mean reward (normalized, weighted)"),
        ("advantage_share", "share of the policy's advantage, per stream", "share of |advantage|"),
        ("value_loss", "value head error, per stream", "mean (return - V)^2"),
        ("weight", "weight per signal (schedules)", "weight"),
    ];
    type Curves = Vec<(String, Vec<(f64, f64)>)>;
    let panels: Vec<(&str, &str, Curves)> = PANELS
        .iter()
        .map(|&(what, caption, y)| {
            let curves = signals.iter().map(|s| (s.clone(), series(lines, &format!("reward/{s}/{what}"))));
            (caption, y, curves.filter(|c| !c.1.is_empty()).collect::<Vec<_>>())
        })
        .filter(|p| !p.2.is_empty())
        .collect();
    let height = SIZE.1 / 2 * panels.len().max(1) as u32;
    Some(render((SIZE.0, height), |root| {
        for (i, (area, (caption, y, curves))) in root.split_evenly((panels.len(), 1)).iter().zip(&panels).enumerate() {
            let caption = if i == 0 { format!("{title}: {caption}") } else { caption.to_string() };
            panel(area, &caption, y, curves.iter().flat_map(|c| &c.1), |chart| {
                for (k, (name, points)) in curves.iter().enumerate() {
                    let colour = PALETTE[k % PALETTE.len()];
                    chart
                        .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))
                        .map_err(plot_error)?
                        .label(name.as_str())
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
                }
                Ok(())
            })?;
        }
        Ok(())
    }))
}

/// A labelled line of `(x, mean, low, high)` points with a shaded band.
pub type BandLine = (String, Vec<(f64, f64, f64, f64)>);

/// An imitation sweep: normalized score against the number of demonstrations, one line per
/// algorithm (`(K, mean, CI low, CI high)` points) with its confidence band shaded, and the
/// expert (1) and random (0) levels dashed.
pub fn demo_sweep(env: &str, lines: &[BandLine]) -> Result<Vec<u8>> {
    let mut points: Vec<(f64, f64)> = lines.iter().flat_map(|l| &l.1).flat_map(|p| [(p.0, p.2), (p.0, p.3)]).collect();
    points.extend([(0.0, 0.0), (0.0, 1.0)]);
    let (x_range, y_range) = ranges(points.iter());
    let title = format!("normalized score vs demonstrations on {env}");
    render(SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x_range.clone(), y_range)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("demonstrations (episodes)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_desc("normalized score (mean, 95% bootstrap CI)")
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .light_line_style(RGBColor(246, 246, 246))
            .draw()
            .map_err(plot_error)?;
        for level in [0.0, 1.0] {
            let dashes =
                DashedLineSeries::new([(x_range.start, level), (x_range.end, level)], 6, 4, BLACK.mix(0.4).into());
            chart.draw_series(dashes).map_err(plot_error)?;
        }
        for (i, (label, points)) in lines.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let band = points.iter().map(|p| (p.0, p.2)).chain(points.iter().rev().map(|p| (p.0, p.3)));
            chart
                .draw_series([Polygon::new(band.collect::<Vec<_>>(), colour.mix(0.2).filled())])
                .map_err(plot_error)?;
            chart
                .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), colour.stroke_width(2)))
                .map_err(plot_error)?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
            chart
                .draw_series(points.iter().map(|p| Circle::new((p.0, p.1), 4, colour.filled())))
                .map_err(plot_error)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .draw()
            .map_err(plot_error)?;
        Ok(())
    })
}

/// Axis ranges around the points, never empty, with a little room above and below.
fn ranges<'p>(points: impl Iterator<Item = &'p (f64, f64)>) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let (mut x0, mut x1, mut y0, mut y1) = (0.0f64, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in points.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    // No points (the bounds are still infinite): a unit box.
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 < y0 {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = if y1 > y0 { 0.05 * (y1 - y0) } else { 0.5f64.max(0.05 * y0.abs()) };
    (x0..x1, y0 - pad..y1 + pad)
}

/// 1500 → "1.5k", 2000000 → "2M".
fn format_steps(x: f64) -> String {
    let (value, suffix) = match x.abs() {
        a if a >= 1e6 => (x / 1e6, "M"),
        a if a >= 1e3 => (x / 1e3, "k"),
        _ => (x, ""),
    };
    let text = format!("{value:.1}");
    format!("{}{suffix}", text.trim_end_matches(".0"))
}

/// Height of the error strip under a dream's pictures.
const STRIP_HEIGHT: usize = 180;

/// A dream's per-step prediction error as a strip `width` pixels wide: the curve over the
/// episode's steps, the filtering steps (before `context`) shaded, step `cursor` marked.
pub fn error_strip(errors: &[f64], cursor: usize, context: usize, width: usize, y_label: &str) -> Result<Frame> {
    register_embedded_font();
    let size = (width as u32, STRIP_HEIGHT as u32);
    let mut pixels = vec![255u8; width * STRIP_HEIGHT * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        let points: Vec<(f64, f64)> = errors.iter().enumerate().map(|(t, &e)| (t as f64, e)).collect();
        let (x_range, y_range) = ranges(points.iter());
        let y_top = y_range.end;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(x_range, 0.0..y_top.max(1e-9))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc(y_label)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .light_line_style(RGBColor(246, 246, 246))
            .draw()
            .map_err(plot_error)?;
        if context > 0 {
            let band = [(0.0, 0.0), (context as f64 - 0.5, y_top)];
            chart.draw_series([Rectangle::new(band, PALETTE[2].mix(0.15).filled())]).map_err(plot_error)?;
        }
        chart.draw_series(LineSeries::new(points.iter().copied(), PALETTE[3].stroke_width(2))).map_err(plot_error)?;
        let x = cursor as f64;
        chart.draw_series([PathElement::new([(x, 0.0), (x, y_top)], BLACK.stroke_width(1))]).map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(Frame { width, height: STRIP_HEIGHT, pixels })
}

/// The open-loop prediction error over the steps of several episodes: the mean per step, the
/// 10th-90th percentile band shaded, the filtering steps (before `context`) marked.
pub fn prediction_error(title: &str, y_label: &str, episodes: &[Vec<f64>], context: usize) -> Result<Vec<u8>> {
    let steps = episodes.iter().map(Vec::len).max().unwrap_or(0);
    let mut mean = Vec::new();
    let mut band_low = Vec::new();
    let mut band_high = Vec::new();
    for t in 0..steps {
        let mut at: Vec<f64> = episodes.iter().filter_map(|e| e.get(t).copied()).filter(|x| x.is_finite()).collect();
        if at.is_empty() {
            continue;
        }
        at.sort_by(f64::total_cmp);
        let pick = |q: f64| at[((q * (at.len() - 1) as f64).round() as usize).min(at.len() - 1)];
        mean.push((t as f64, at.iter().sum::<f64>() / at.len() as f64));
        band_low.push((t as f64, pick(0.1)));
        band_high.push((t as f64, pick(0.9)));
    }
    let all: Vec<(f64, f64)> = mean.iter().chain(&band_low).chain(&band_high).copied().collect();
    render(SIZE, |root| {
        let (x_range, y_range) = ranges(all.iter());
        let y_top = y_range.end;
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x_range, 0.0..y_top.max(1e-9))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("step of the episode")
            .y_desc(y_label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .light_line_style(RGBColor(246, 246, 246))
            .draw()
            .map_err(plot_error)?;
        if context > 0 {
            let band = [(0.0, 0.0), (context as f64 - 0.5, y_top)];
            chart
                .draw_series([Rectangle::new(band, PALETTE[2].mix(0.15).filled())])
                .map_err(plot_error)?
                .label(format!("filtering ({context} observations seen)"))
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], PALETTE[2].mix(0.3).filled()));
        }
        let polygon = band_low.iter().copied().chain(band_high.iter().rev().copied()).collect::<Vec<_>>();
        chart
            .draw_series([Polygon::new(polygon, PALETTE[3].mix(0.2).filled())])
            .map_err(plot_error)?
            .label(format!("10th-90th percentile of {} episodes", episodes.len()))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], PALETTE[3].mix(0.3).filled()));
        chart
            .draw_series(LineSeries::new(mean.iter().copied(), PALETTE[3].stroke_width(2)))
            .map_err(plot_error)?
            .label("mean error")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], PALETTE[3].stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .draw()
            .map_err(plot_error)?;
        Ok(())
    })
}

/// Size of caption text in pixels, and the height of one of its lines.
const CAPTION_FONT: u32 = 16;
const CAPTION_LINE: usize = 22;

/// `frame` with `text` below it on a white strip, wrapped to the frame's width, as MiniGrid's
/// human-mode window shows the mission.
pub fn caption(frame: &Frame, text: &str) -> Result<Frame> {
    register_embedded_font();
    // DejaVu Sans averages about 0.55 em a character.
    let columns = (frame.width as f64 / (0.55 * CAPTION_FONT as f64)).floor().max(8.0) as usize;
    let lines = wrap_words(text, columns);
    let strip = CAPTION_LINE * lines.len() + CAPTION_LINE / 2;
    let (width, height) = (frame.width, frame.height + strip);
    let mut pixels = vec![255u8; width * height * 3];
    pixels[..frame.pixels.len()].copy_from_slice(&frame.pixels);
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width as u32, height as u32)).into_drawing_area();
        let style = TextStyle::from((FONT, CAPTION_FONT).into_font()).color(&BLACK);
        for (i, line) in lines.iter().enumerate() {
            let y = frame.height + CAPTION_LINE / 4 + i * CAPTION_LINE;
            root.draw_text(line, &style, (CAPTION_LINE as i32 / 2, y as i32)).map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(Frame { width, height, pixels })
}

/// `text` in lines of at most `columns` characters, broken between words (a longer word gets
/// a line of its own).
pub fn wrap_words(text: &str, columns: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= columns => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

fn register_embedded_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
        if register_font(FONT, FontStyle::Normal, bytes).is_err() {
            tracing::warn!("the embedded font could not be loaded: plots will have no text");
        }
    });
}

fn plot_error(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot draw the plot: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_wrap_between_words_below_the_picture() {
        assert_eq!(
            wrap_words("go to the red ball, then open a door", 16),
            ["go to the red", "ball, then open", "a door"]
        );
        let frame = Frame::filled(200, 100, [0, 0, 0]);
        let captioned = caption(&frame, "pick up the grey key, then go to a purple box on your left").unwrap();
        assert_eq!(captioned.width, 200);
        assert!(captioned.height > 100 + 2 * CAPTION_LINE, "three lines or more: {}", captioned.height);
        assert_eq!(&captioned.pixels[..frame.pixels.len()], &frame.pixels[..]);
        let strip = &captioned.pixels[frame.pixels.len()..];
        assert!(strip.iter().any(|&v| v < 128), "text is drawn");
    }

    #[test]
    fn interpolation_stays_inside_each_run() {
        let run = vec![(0.0, 0.0), (10.0, 10.0), (20.0, 0.0)];
        assert_eq!(interpolate(&run, 5.0), Some(5.0));
        assert_eq!(interpolate(&run, 15.0), Some(5.0));
        assert_eq!(interpolate(&run, 20.0), Some(0.0));
        assert_eq!(interpolate(&run, 25.0), None);
        assert_eq!(interpolate(&[(5.0, 1.0)], 0.0), None);
    }

    #[test]
    fn spread_takes_mean_min_and_max_across_runs() {
        let a = vec![(0.0, 0.0), (100.0, 100.0)];
        let b = vec![(0.0, 10.0), (50.0, 20.0), (100.0, 10.0), (150.0, 0.0)];
        let s = spread(&[a, b]);
        // At 50, run a is interpolated (50); past 100 only run b counts.
        assert_eq!(
            s,
            [(0.0, 5.0, 0.0, 10.0), (50.0, 35.0, 20.0, 50.0), (100.0, 55.0, 10.0, 100.0), (150.0, 0.0, 0.0, 0.0)]
        );
        let long: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, 1.0)).collect();
        let s = spread(&[long]);
        assert_eq!((s.len(), s[0].0, s[MAX_POINTS - 1].0), (MAX_POINTS, 0.0, 999.0));
    }

    #[test]
    fn compare_titles_name_the_envs() {
        let group = |algo: &str, env: &str| Group { label: format!("{algo} on {env}"), env: env.into(), runs: vec![] };
        let one_env = [group("ppo", "CartPole-v1"), group("dqn", "CartPole-v1")];
        assert_eq!(compare_title(&one_env, "eval/mean_return"), "eval/mean_return on CartPole-v1");
        let two_envs = [group("ppo", "CartPole-v1"), group("ppo", "Acrobot-v1"), group("dqn", "CartPole-v1")];
        assert_eq!(compare_title(&two_envs, "return_mean_100"), "return_mean_100 on CartPole-v1, Acrobot-v1");
        assert_eq!(compare_title(&[], "loss"), "loss over env steps");
    }

    #[test]
    fn step_labels_are_short() {
        assert_eq!(format_steps(1500.0), "1.5k");
        assert_eq!(format_steps(2_000_000.0), "2M");
        assert_eq!(format_steps(300.0), "300");
    }
}

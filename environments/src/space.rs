//! Spaces: the sets observations and actions live in, with Gymnasium's semantics and JSON form.

use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::value::Value;
use serde_json::{json, Value as Json};

/// Element types of array spaces, named as numpy names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    Float32,
    Float64,
    UInt8,
    Int8,
    Int64,
}

impl DType {
    pub fn name(self) -> &'static str {
        match self {
            DType::Float32 => "float32",
            DType::Float64 => "float64",
            DType::UInt8 => "uint8",
            DType::Int8 => "int8",
            DType::Int64 => "int64",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "float32" => DType::Float32,
            "float64" => DType::Float64,
            "uint8" => DType::UInt8,
            "int8" => DType::Int8,
            "int64" => DType::Int64,
            other => return Err(EnvError::BadSpace(format!("unsupported dtype `{other}`"))),
        })
    }

    fn is_float(self) -> bool {
        matches!(self, DType::Float32 | DType::Float64)
    }

    /// Builds an array value of this dtype from f64 numbers (rounding to the dtype).
    pub fn array(self, nums: impl IntoIterator<Item = f64>) -> Value {
        let it = nums.into_iter();
        match self {
            DType::Float32 => Value::F32(it.map(|x| x as f32).collect()),
            DType::Float64 => Value::F64(it.collect()),
            DType::UInt8 => Value::U8(it.map(|x| x as u8).collect()),
            DType::Int8 => Value::I8(it.map(|x| x as i8).collect()),
            DType::Int64 => Value::I64(it.map(|x| x as i64).collect()),
        }
    }
}

/// A Gymnasium `Box`: an n-dimensional array with per-element bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxSpace {
    /// Lower bounds, one per element (row-major), as f64 (exact for every supported dtype).
    pub low: Vec<f64>,
    pub high: Vec<f64>,
    pub shape: Vec<usize>,
    pub dtype: DType,
}

/// A space, as in `gymnasium.spaces`.
#[derive(Clone, Debug, PartialEq)]
pub enum Space {
    Discrete {
        n: i64,
        start: i64,
    },
    Box(BoxSpace),
    MultiDiscrete {
        nvec: Vec<i64>,
        start: Vec<i64>,
    },
    MultiBinary {
        shape: Vec<usize>,
    },
    /// Keys sorted, as Gymnasium sorts a plain dict's keys.
    Dict(Vec<(String, Space)>),
    /// A fixed-length sequence of spaces (Gymnasium's `Tuple`); elements are [`Value::Tuple`].
    Tuple(Vec<Space>),
    Text {
        min_length: usize,
        max_length: usize,
        charset: String,
    },
}

/// Gymnasium's default `Text` charset: ASCII letters and digits.
pub const ALPHANUMERIC: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl Space {
    pub fn discrete(n: i64) -> Space {
        Space::Discrete { n, start: 0 }
    }

    /// A Box with the same bounds for every element.
    pub fn uniform_box(low: f64, high: f64, shape: &[usize], dtype: DType) -> Space {
        let len = shape.iter().product();
        Space::Box(BoxSpace { low: vec![low; len], high: vec![high; len], shape: shape.to_vec(), dtype })
    }

    /// A one-dimensional Box with per-element bounds.
    pub fn vector_box(low: &[f64], high: &[f64], dtype: DType) -> Space {
        Space::Box(BoxSpace { low: low.to_vec(), high: high.to_vec(), shape: vec![low.len()], dtype })
    }

    /// A Dict space; keys are sorted like Gymnasium's `Dict(dict)`.
    pub fn dict(mut items: Vec<(String, Space)>) -> Space {
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Space::Dict(items)
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Space::Discrete { .. } => "Discrete",
            Space::Box(_) => "Box",
            Space::MultiDiscrete { .. } => "MultiDiscrete",
            Space::MultiBinary { .. } => "MultiBinary",
            Space::Dict(_) => "Dict",
            Space::Tuple(_) => "Tuple",
            Space::Text { .. } => "Text",
        }
    }

    /// The Box inside, if this is one.
    pub fn as_box(&self) -> Option<&BoxSpace> {
        match self {
            Space::Box(b) => Some(b),
            _ => None,
        }
    }

    /// Whether `value` is an element of this space.
    pub fn contains(&self, value: &Value) -> bool {
        self.check(value).is_ok()
    }

    /// Like [`Space::contains`], but says why not.
    pub fn check(&self, value: &Value) -> std::result::Result<(), String> {
        match (self, value) {
            (Space::Discrete { n, start }, Value::Int(a)) => {
                if *a >= *start && *a < start + n {
                    Ok(())
                } else {
                    Err(format!("expected an integer in [{start}, {}]", start + n - 1))
                }
            }
            (Space::Box(b), v) => b.check(v),
            (Space::MultiDiscrete { nvec, start }, Value::I64(v)) => {
                expect_len(v.len(), nvec.len())?;
                for (i, ((&x, &n), &s)) in v.iter().zip(nvec).zip(start).enumerate() {
                    if x < s || x >= s + n {
                        return Err(format!("element {i} = {x} is outside [{s}, {}]", s + n - 1));
                    }
                }
                Ok(())
            }
            (Space::MultiBinary { shape }, Value::I8(v)) => {
                expect_len(v.len(), shape.iter().product())?;
                match v.iter().position(|&x| x != 0 && x != 1) {
                    Some(i) => Err(format!("element {i} is {}, expected 0 or 1", v[i])),
                    None => Ok(()),
                }
            }
            (Space::Dict(spaces), Value::Dict(items)) => {
                if spaces.len() != items.len() {
                    return Err(format!("expected keys {:?}", keys(spaces)));
                }
                for (key, space) in spaces {
                    let v = value.get(key).ok_or_else(|| format!("missing key `{key}`"))?;
                    space.check(v).map_err(|e| format!("key `{key}`: {e}"))?;
                }
                Ok(())
            }
            (Space::Tuple(spaces), Value::Tuple(items)) => {
                if spaces.len() != items.len() {
                    return Err(format!("expected a tuple of {} elements, got {}", spaces.len(), items.len()));
                }
                for (i, (space, v)) in spaces.iter().zip(items).enumerate() {
                    space.check(v).map_err(|e| format!("tuple element {i}: {e}"))?;
                }
                Ok(())
            }
            (Space::Text { min_length, max_length, charset }, Value::Text(s)) => {
                let len = s.chars().count();
                if len < *min_length || len > *max_length {
                    return Err(format!("length {len} is outside [{min_length}, {max_length}]"));
                }
                match s.chars().find(|c| !charset.contains(*c)) {
                    Some(c) => Err(format!("character {c:?} is not in the charset")),
                    None => Ok(()),
                }
            }
            (space, _) => Err(format!("expected an element of {}", space.type_name())),
        }
    }

    /// A random element, drawn the way Gymnasium's `Space.sample()` draws it. Discrete, bounded
    /// Box, MultiDiscrete and MultiBinary draws follow numpy's stream exactly; unbounded Box
    /// elements use a normal/exponential that is not numpy's ziggurat.
    pub fn sample(&self, rng: &mut Generator) -> Value {
        match self {
            Space::Discrete { n, start } => Value::Int(start + rng.integers(0, *n)),
            Space::Box(b) => b.sample(rng),
            Space::MultiDiscrete { nvec, start } => {
                Value::I64(nvec.iter().zip(start).map(|(&n, &s)| s + rng.integers(0, n)).collect())
            }
            Space::MultiBinary { shape } => {
                let len: usize = shape.iter().product();
                Value::I8((0..len).map(|_| rng.integers(0, 2) as i8).collect())
            }
            Space::Dict(spaces) => Value::Dict(spaces.iter().map(|(k, s)| (k.clone(), s.sample(rng))).collect()),
            Space::Tuple(spaces) => Value::Tuple(spaces.iter().map(|s| s.sample(rng)).collect()),
            Space::Text { min_length, max_length, charset } => {
                let chars: Vec<char> = charset.chars().collect();
                let len = rng.integers(*min_length as i64, *max_length as i64 + 1);
                (0..len).map(|_| chars[rng.integers(0, chars.len() as i64) as usize]).collect::<String>().into()
            }
        }
    }

    /// Length of the flat f32 encoding (Gymnasium's `flatdim`): Box elements as numbers,
    /// Discrete and MultiDiscrete one-hot, Dict concatenated in key order, Tuple in element
    /// order. Text has none.
    pub fn flat_dim(&self) -> Result<usize> {
        Ok(match self {
            Space::Discrete { n, .. } => *n as usize,
            Space::Box(b) => b.low.len(),
            Space::MultiDiscrete { nvec, .. } => nvec.iter().map(|&n| n as usize).sum(),
            Space::MultiBinary { shape } => shape.iter().product(),
            Space::Dict(spaces) => spaces.iter().map(|(_, s)| s.flat_dim()).sum::<Result<usize>>()?,
            Space::Tuple(spaces) => spaces.iter().map(Space::flat_dim).sum::<Result<usize>>()?,
            Space::Text { .. } => {
                return Err(EnvError::Unsupported(
                    "a Text space has no flat numeric encoding; drop it with a wrapper first".into(),
                ))
            }
        })
    }

    /// Writes the flat f32 encoding of `value` into `out` (length [`Space::flat_dim`]).
    pub fn flatten_into(&self, value: &Value, out: &mut [f32]) -> Result<()> {
        match (self, value) {
            (Space::Discrete { start, .. }, Value::Int(a)) => {
                out.fill(0.0);
                out[(a - start) as usize] = 1.0;
            }
            (Space::Box(_), Value::F32(v)) => out.copy_from_slice(v),
            (Space::MultiDiscrete { nvec, start }, Value::I64(v)) => {
                out.fill(0.0);
                let mut offset = 0;
                for ((&x, &n), &s) in v.iter().zip(nvec).zip(start) {
                    out[offset + (x - s) as usize] = 1.0;
                    offset += n as usize;
                }
            }
            (Space::Dict(spaces), Value::Dict(_)) => {
                let mut offset = 0;
                for (key, space) in spaces {
                    let dim = space.flat_dim()?;
                    let v = value.get(key).ok_or_else(|| EnvError::BadSpace(format!("missing key `{key}`")))?;
                    space.flatten_into(v, &mut out[offset..offset + dim])?;
                    offset += dim;
                }
            }
            (Space::Tuple(spaces), Value::Tuple(items)) if spaces.len() == items.len() => {
                let mut offset = 0;
                for (space, v) in spaces.iter().zip(items) {
                    let dim = space.flat_dim()?;
                    space.flatten_into(v, &mut out[offset..offset + dim])?;
                    offset += dim;
                }
            }
            (Space::Text { .. }, _) => {
                self.flat_dim()?;
            }
            (_, v) => {
                let nums = v.to_f64_vec().ok_or_else(|| EnvError::BadSpace(format!("cannot flatten {v}")))?;
                for (o, x) in out.iter_mut().zip(nums) {
                    *o = x as f32;
                }
            }
        }
        Ok(())
    }

    /// Gymnasium/Minari JSON form (`minari.serialization.serialize_space`). Infinite bounds are
    /// written as the strings "Infinity"/"-Infinity"; [`Space::to_json_string`] turns them into
    /// the bare `Infinity` tokens Python's `json` writes and reads.
    pub fn to_json(&self) -> Json {
        match self {
            Space::Discrete { n, start } => json!({"type": "Discrete", "dtype": "int64", "start": start, "n": n}),
            Space::Box(b) => json!({
                "type": "Box", "dtype": b.dtype.name(), "shape": b.shape,
                "low": nest(&b.low, &b.shape, b.dtype), "high": nest(&b.high, &b.shape, b.dtype),
            }),
            Space::MultiDiscrete { nvec, start } => {
                json!({"type": "MultiDiscrete", "dtype": "int64", "nvec": nvec, "start": start})
            }
            Space::MultiBinary { shape } => {
                let n = if shape.len() == 1 { json!(shape[0]) } else { json!(shape) };
                json!({"type": "MultiBinary", "n": n})
            }
            Space::Dict(spaces) => {
                let sub: serde_json::Map<String, Json> = spaces.iter().map(|(k, s)| (k.clone(), s.to_json())).collect();
                json!({"type": "Dict", "subspaces": sub})
            }
            Space::Tuple(spaces) => {
                json!({"type": "Tuple", "subspaces": spaces.iter().map(Space::to_json).collect::<Vec<_>>()})
            }
            Space::Text { min_length, max_length, charset } => {
                json!({"type": "Text", "max_length": max_length, "min_length": min_length, "charset": charset})
            }
        }
    }

    /// The JSON text Python's `json.dumps(serialize_space(space))` would accept and produce.
    pub fn to_json_string(&self) -> String {
        self.to_json().to_string().replace("\"Infinity\"", "Infinity").replace("\"-Infinity\"", "-Infinity")
    }

    /// Parses the JSON text of a space, accepting Python's bare `Infinity`/`-Infinity` tokens.
    pub fn from_json_str(text: &str) -> Result<Space> {
        let json: Json = serde_json::from_str(&quote_infinities(text))
            .map_err(|e| EnvError::BadSpace(format!("not valid JSON: {e}")))?;
        Space::from_json(&json)
    }

    /// Parses the JSON form written by [`Space::to_json`] or by Minari.
    pub fn from_json(json: &Json) -> Result<Space> {
        let field =
            |name: &str| json.get(name).ok_or_else(|| EnvError::BadSpace(format!("missing field `{name}` in {json}")));
        let int = |name: &str| field(name).and_then(|v| v.as_i64().ok_or_else(|| bad(name, v)));
        let ints = |name: &str| -> Result<Vec<i64>> {
            let flat = flatten_json(field(name)?)?;
            Ok(flat.into_iter().map(|x| x as i64).collect())
        };
        let ty = field("type")?.as_str().ok_or_else(|| EnvError::BadSpace("`type` must be a string".into()))?;
        let space = match ty {
            "Discrete" => {
                Space::Discrete { n: int("n")?, start: json.get("start").and_then(Json::as_i64).unwrap_or(0) }
            }
            "Box" => {
                let dtype = DType::parse(field("dtype")?.as_str().unwrap_or(""))?;
                let shape: Vec<usize> = ints("shape")?.into_iter().map(|x| x as usize).collect();
                let len: usize = shape.iter().product();
                let low = broadcast(flatten_json(field("low")?)?, len, "low")?;
                let high = broadcast(flatten_json(field("high")?)?, len, "high")?;
                Space::Box(BoxSpace { low, high, shape, dtype })
            }
            "MultiDiscrete" => {
                let nvec = ints("nvec")?;
                let start = if json.get("start").is_some() { ints("start")? } else { vec![0; nvec.len()] };
                Space::MultiDiscrete { nvec, start }
            }
            "MultiBinary" => Space::MultiBinary { shape: ints("n")?.into_iter().map(|x| x as usize).collect() },
            "Dict" => {
                let sub = field("subspaces")?.as_object().ok_or_else(|| bad("subspaces", json))?;
                let items =
                    sub.iter().map(|(k, v)| Ok((k.clone(), Space::from_json(v)?))).collect::<Result<Vec<_>>>()?;
                Space::dict(items)
            }
            "Tuple" => {
                let sub = field("subspaces")?.as_array().ok_or_else(|| bad("subspaces", json))?;
                Space::Tuple(sub.iter().map(Space::from_json).collect::<Result<Vec<_>>>()?)
            }
            "Text" => Space::Text {
                min_length: int("min_length")? as usize,
                max_length: int("max_length")? as usize,
                charset: field("charset")?.as_str().ok_or_else(|| bad("charset", json))?.to_string(),
            },
            other => return Err(EnvError::BadSpace(format!("unsupported space type `{other}`"))),
        };
        space.validate()?;
        Ok(space)
    }

    fn validate(&self) -> Result<()> {
        let fail = |m: String| Err(EnvError::BadSpace(m));
        match self {
            Space::Discrete { n, .. } if *n <= 0 => fail(format!("Discrete n must be positive, got {n}")),
            Space::Box(b) if b.low.iter().zip(&b.high).any(|(l, h)| l > h) => fail("Box low exceeds high".into()),
            Space::MultiDiscrete { nvec, start } if nvec.iter().any(|&n| n <= 0) || nvec.len() != start.len() => {
                fail("MultiDiscrete nvec must be positive and match start".into())
            }
            Space::Text { min_length, max_length, .. } if min_length > max_length => {
                fail("Text min_length exceeds max_length".into())
            }
            _ => Ok(()),
        }
    }

    /// A short human description, e.g. `Box(-inf, inf, (4,), float32)` or `Discrete(2)`.
    pub fn describe(&self) -> String {
        match self {
            Space::Discrete { n, start: 0 } => format!("Discrete({n})"),
            Space::Discrete { n, start } => format!("Discrete({n}, start={start})"),
            Space::Box(b) => {
                let shape: Vec<String> = b.shape.iter().map(|d| d.to_string()).collect();
                let shape =
                    if shape.len() == 1 { format!("({},)", shape[0]) } else { format!("({})", shape.join(", ")) };
                format!("Box({}, {}, {shape}, {})", bounds_text(&b.low), bounds_text(&b.high), b.dtype.name())
            }
            Space::MultiDiscrete { nvec, .. } => format!("MultiDiscrete({nvec:?})"),
            Space::MultiBinary { shape } => format!("MultiBinary({shape:?})"),
            Space::Dict(items) => {
                let parts: Vec<String> = items.iter().map(|(k, s)| format!("'{k}': {}", s.describe())).collect();
                format!("Dict({})", parts.join(", "))
            }
            Space::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(Space::describe).collect();
                format!("Tuple({})", parts.join(", "))
            }
            Space::Text { max_length, .. } => format!("Text({max_length})"),
        }
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl BoxSpace {
    fn check(&self, value: &Value) -> std::result::Result<(), String> {
        let nums = match (self.dtype, value) {
            (DType::Float32, Value::F32(_))
            | (DType::Float64, Value::F64(_))
            | (DType::UInt8, Value::U8(_))
            | (DType::Int8, Value::I8(_))
            | (DType::Int64, Value::I64(_)) => value.to_f64_vec().unwrap_or_default(),
            _ => return Err(format!("expected a {} array of shape {:?}", self.dtype.name(), self.shape)),
        };
        expect_len(nums.len(), self.low.len())?;
        for (i, ((&x, &lo), &hi)) in nums.iter().zip(&self.low).zip(&self.high).enumerate() {
            if x.is_nan() {
                return Err(format!("element {i} is NaN"));
            }
            if x < lo || x > hi {
                return Err(format!("element {i} = {x} is outside [{lo}, {hi}]"));
            }
        }
        Ok(())
    }

    fn sample(&self, rng: &mut Generator) -> Value {
        let float = self.dtype.is_float();
        let nums = self.low.iter().zip(&self.high).map(|(&lo, &hi)| {
            // Gymnasium samples integer boxes from [low, high + 1) and floors.
            let hi = if float { hi } else { hi + 1.0 };
            let x = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => rng.uniform(lo, hi),
                (true, false) => lo + rng.standard_exponential(),
                (false, true) => hi - rng.standard_exponential(),
                (false, false) => rng.standard_normal(),
            };
            if float {
                x
            } else {
                x.floor()
            }
        });
        let nums: Vec<f64> = nums.collect();
        self.dtype.array(nums)
    }
}

/// One number when all bounds agree (`Box(0, 255, ...)`), else the list, as numpy prints it.
fn bounds_text(bounds: &[f64]) -> String {
    match bounds {
        [first, rest @ ..] if rest.iter().all(|x| x == first) => format!("{first}"),
        _ => format!("[{}]", bounds.iter().map(|x| format!("{}", *x as f32)).collect::<Vec<_>>().join(" ")),
    }
}

fn expect_len(got: usize, want: usize) -> std::result::Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("expected {want} elements, got {got}"))
    }
}

fn keys(spaces: &[(String, Space)]) -> Vec<&str> {
    spaces.iter().map(|(k, _)| k.as_str()).collect()
}

fn bad(name: &str, v: &Json) -> EnvError {
    EnvError::BadSpace(format!("field `{name}` has an unexpected value: {v}"))
}

fn number_json(x: f64, dtype: DType) -> Json {
    if x.is_infinite() {
        json!(if x > 0.0 { "Infinity" } else { "-Infinity" })
    } else if dtype.is_float() {
        json!(x)
    } else {
        json!(x as i64)
    }
}

/// Nests flat row-major numbers by `shape`, as numpy's `tolist()` does.
fn nest(flat: &[f64], shape: &[usize], dtype: DType) -> Json {
    match shape {
        [] => number_json(flat[0], dtype),
        [_] => Json::Array(flat.iter().map(|&x| number_json(x, dtype)).collect()),
        [n, rest @ ..] => {
            let stride: usize = rest.iter().product();
            Json::Array((0..*n).map(|i| nest(&flat[i * stride..(i + 1) * stride], rest, dtype)).collect())
        }
    }
}

fn flatten_json(v: &Json) -> Result<Vec<f64>> {
    match v {
        Json::Array(items) => Ok(items.iter().map(flatten_json).collect::<Result<Vec<_>>>()?.concat()),
        Json::Number(n) => Ok(vec![n.as_f64().unwrap_or(f64::NAN)]),
        Json::String(s) if s == "Infinity" || s == "inf" => Ok(vec![f64::INFINITY]),
        Json::String(s) if s == "-Infinity" || s == "-inf" => Ok(vec![f64::NEG_INFINITY]),
        other => Err(EnvError::BadSpace(format!("expected numbers, got {other}"))),
    }
}

fn broadcast(v: Vec<f64>, len: usize, name: &str) -> Result<Vec<f64>> {
    match v.len() {
        n if n == len => Ok(v),
        1 => Ok(vec![v[0]; len]),
        n => Err(EnvError::BadSpace(format!("`{name}` has {n} elements, the shape needs {len}"))),
    }
}

/// Puts quotes around bare `Infinity`/`-Infinity`/`NaN` tokens outside strings.
fn quote_infinities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            in_string = c != '"' || escaped;
            escaped = c == '\\' && !escaped;
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let token = ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| rest.starts_with(t));
        if let Some(t) = token {
            out.push('"');
            out.push_str(t);
            out.push('"');
            rest = &rest[t.len()..];
        } else {
            in_string = c == '"';
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discrete_json_matches_minari() {
        let s = Space::discrete(2);
        assert_eq!(s.to_json_string(), r#"{"dtype":"int64","n":2,"start":0,"type":"Discrete"}"#);
        assert_eq!(Space::from_json(&s.to_json()).unwrap(), s);
    }

    #[test]
    fn box_json_round_trips_with_python_infinity() {
        let s = Space::vector_box(&[-4.8, f64::NEG_INFINITY], &[4.8, f64::INFINITY], DType::Float32);
        let text = s.to_json_string();
        assert!(text.contains("-Infinity") && !text.contains("\"Infinity\""), "{text}");
        assert_eq!(Space::from_json_str(&text).unwrap(), s);
    }

    #[test]
    fn nested_box_bounds_follow_shape() {
        let s = Space::uniform_box(0.0, 255.0, &[2, 2, 3], DType::UInt8);
        let j = s.to_json();
        assert_eq!(j["low"][1][0], json!([0, 0, 0]));
        assert_eq!(Space::from_json(&j).unwrap(), s);
    }

    #[test]
    fn dict_sorts_keys_and_round_trips() {
        let s = Space::dict(vec![
            ("image".into(), Space::uniform_box(0.0, 255.0, &[7, 7, 3], DType::UInt8)),
            ("direction".into(), Space::discrete(4)),
            ("mission".into(), Space::Text { min_length: 1, max_length: 20, charset: ALPHANUMERIC.into() }),
        ]);
        let Space::Dict(items) = &s else { panic!() };
        assert_eq!(items[0].0, "direction");
        assert_eq!(Space::from_json_str(&s.to_json_string()).unwrap(), s);
    }

    #[test]
    fn contains_rejects_out_of_range_wrong_type_and_nan() {
        let d = Space::Discrete { n: 3, start: -1 };
        assert!(d.contains(&Value::Int(-1)) && d.contains(&Value::Int(1)));
        assert!(!d.contains(&Value::Int(2)) && !d.contains(&Value::F32(vec![0.0])));
        let b = Space::uniform_box(-1.0, 1.0, &[2], DType::Float32);
        assert!(b.contains(&Value::F32(vec![0.5, -1.0])));
        assert!(b.check(&Value::F32(vec![0.5])).unwrap_err().contains("expected 2 elements"));
        assert!(b.check(&Value::F32(vec![f32::NAN, 0.0])).unwrap_err().contains("NaN"));
        assert!(!b.contains(&Value::F32(vec![1.5, 0.0])));
    }

    #[test]
    fn samples_are_members() {
        let mut rng = Generator::from_seed(3);
        let spaces = [
            Space::Discrete { n: 5, start: 2 },
            Space::uniform_box(-2.0, 2.0, &[3], DType::Float32),
            Space::vector_box(&[f64::NEG_INFINITY, 0.0], &[f64::INFINITY, f64::INFINITY], DType::Float64),
            Space::uniform_box(0.0, 255.0, &[4], DType::UInt8),
            Space::MultiDiscrete { nvec: vec![3, 4], start: vec![0, 1] },
            Space::MultiBinary { shape: vec![6] },
            Space::Text { min_length: 1, max_length: 4, charset: "ab".into() },
        ];
        for s in &spaces {
            for _ in 0..200 {
                let v = s.sample(&mut rng);
                assert!(s.contains(&v), "{} does not contain {v}", s.describe());
            }
        }
    }

    #[test]
    fn discrete_sample_follows_numpy() {
        // Gymnasium: Discrete(7, start=2) seeded 5 samples start + integers(0, 7).
        let mut a = Generator::from_seed(5);
        let mut b = Generator::from_seed(5);
        let s = Space::Discrete { n: 7, start: 2 };
        for _ in 0..20 {
            assert_eq!(s.sample(&mut a), Value::Int(2 + b.integers(0, 7)));
        }
    }

    #[test]
    fn flatten_one_hots_discrete_parts() {
        let s = Space::dict(vec![
            ("a".into(), Space::discrete(3)),
            ("b".into(), Space::uniform_box(0.0, 1.0, &[2], DType::Float32)),
        ]);
        let mut out = vec![9.0; s.flat_dim().unwrap()];
        let v = Value::Dict(vec![("a".into(), Value::Int(2)), ("b".into(), Value::F32(vec![0.25, 0.5]))]);
        s.flatten_into(&v, &mut out).unwrap();
        assert_eq!(out, [0.0, 0.0, 1.0, 0.25, 0.5]);
    }

    #[test]
    fn tuple_json_is_minaris_and_round_trips() {
        // minari.serialization.serialize_space(Tuple((Discrete(2), MultiDiscrete([3, 3]))))
        let text = r#"{"type": "Tuple", "subspaces": [{"type": "Discrete", "dtype": "int64", "start": 0, "n": 2}, {"type": "MultiDiscrete", "dtype": "int64", "nvec": [3, 3], "start": [0, 0]}]}"#;
        let s = Space::from_json_str(text).unwrap();
        assert_eq!(
            s,
            Space::Tuple(vec![Space::discrete(2), Space::MultiDiscrete { nvec: vec![3, 3], start: vec![0, 0] }])
        );
        assert_eq!(s.describe(), "Tuple(Discrete(2), MultiDiscrete([3, 3]))");
        assert_eq!(Space::from_json_str(&s.to_json_string()).unwrap(), s);
        assert!(Space::from_json_str(r#"{"type": "Tuple", "subspaces": {"a": 1}}"#).is_err());
    }

    #[test]
    fn tuples_sample_members_and_flatten_in_order() {
        let s = Space::Tuple(vec![
            Space::discrete(3),
            Space::uniform_box(-1.0, 1.0, &[2], DType::Float32),
            Space::MultiDiscrete { nvec: vec![2, 2], start: vec![0, 0] },
        ]);
        let mut rng = Generator::from_seed(0);
        for _ in 0..100 {
            let v = s.sample(&mut rng);
            assert!(s.contains(&v), "{v}");
        }
        let v = Value::Tuple(vec![Value::Int(1), Value::F32(vec![0.5, -0.25]), Value::I64(vec![1, 0])]);
        let mut out = vec![9.0; s.flat_dim().unwrap()];
        s.flatten_into(&v, &mut out).unwrap();
        assert_eq!(out, [0.0, 1.0, 0.0, 0.5, -0.25, 0.0, 1.0, 1.0, 0.0]);
        assert!(!s.contains(&Value::Tuple(vec![Value::Int(1), Value::F32(vec![0.5, -0.25])])));
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(Space::from_json_str("{").is_err());
        assert!(Space::from_json_str(r#"{"type": "Discrete"}"#).unwrap_err().to_string().contains("`n`"));
        assert!(Space::from_json_str(r#"{"type": "Discrete", "n": 0}"#).is_err());
        assert!(Space::from_json_str(
            r#"{"type": "Box", "dtype": "float32", "shape": [2], "low": [0, 0, 0], "high": 1}"#
        )
        .is_err());
    }
}

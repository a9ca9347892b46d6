//! Values as JSON, shaped the way Gymnasium users see them: a Box is a (nested) array of numbers,
//! a Discrete an integer, a Dict an object keyed by its spaces, a Tuple a list of its elements,
//! Text a string.

use crate::error::{EnvError, Result};
use crate::space::{DType, Space};
use crate::value::Value;
use serde_json::{json, Value as Json};

/// JSON for an element of `space`; arrays nest by the Box's shape like numpy's `tolist()`.
pub fn value_to_json(space: &Space, value: &Value) -> Json {
    match (space, value) {
        (_, Value::Int(i)) => json!(i),
        (_, Value::Text(s)) => json!(s),
        (Space::Dict(spaces), Value::Dict(items)) => {
            let map = items
                .iter()
                .map(|(k, v)| {
                    let sub = spaces.iter().find(|(sk, _)| sk == k).map(|(_, s)| s);
                    (k.clone(), sub.map_or_else(|| flat_json(v), |s| value_to_json(s, v)))
                })
                .collect::<serde_json::Map<_, _>>();
            Json::Object(map)
        }
        (Space::Tuple(spaces), Value::Tuple(items)) => {
            items.iter().zip(spaces).map(|(v, s)| value_to_json(s, v)).collect::<Vec<_>>().into()
        }
        (Space::Box(b), v) if b.shape.len() > 1 => nest(&flat_json(v), &b.shape),
        (_, v) => flat_json(v),
    }
}

fn flat_json(value: &Value) -> Json {
    match value {
        Value::F32(v) => v.iter().map(|&x| number(x as f64)).collect(),
        Value::F64(v) => v.iter().map(|&x| number(x)).collect(),
        Value::U8(v) => json!(v),
        Value::I8(v) => json!(v),
        Value::I64(v) => json!(v),
        Value::Int(i) => json!(i),
        Value::Text(s) => json!(s),
        Value::Dict(items) => Json::Object(items.iter().map(|(k, v)| (k.clone(), flat_json(v))).collect()),
        Value::Tuple(items) => items.iter().map(flat_json).collect(),
    }
}

/// A finite number as JSON; non-finite values (which JSON lacks) as Python's spelling, in a string.
fn number(x: f64) -> Json {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        json!("NaN")
    } else {
        json!(if x > 0.0 { "Infinity" } else { "-Infinity" })
    }
}

fn nest(flat: &Json, shape: &[usize]) -> Json {
    let Json::Array(items) = flat else { return flat.clone() };
    match shape {
        [] | [_] => flat.clone(),
        [n, rest @ ..] => {
            let stride: usize = rest.iter().product();
            (0..*n).map(|i| nest(&Json::Array(items[i * stride..(i + 1) * stride].to_vec()), rest)).collect()
        }
    }
}

/// Parses an element of `space` from JSON: an integer for Discrete, a (nested) array of numbers
/// for Box/MultiDiscrete/MultiBinary (integers for the last two), an object for Dict, a list of
/// its elements for Tuple, a string for Text. The result is not yet range-checked: the
/// environment checks actions itself.
pub fn value_from_json(space: &Space, json: &Json) -> Result<Value> {
    let mismatch = || EnvError::InvalidAction {
        action: json.to_string(),
        reason: format!("expected an element of {}", space.describe()),
    };
    match space {
        Space::Discrete { .. } => json.as_i64().map(Value::Int).ok_or_else(mismatch),
        Space::Text { .. } => json.as_str().map(|s| Value::Text(s.to_string())).ok_or_else(mismatch),
        Space::Dict(spaces) => {
            let obj = json.as_object().ok_or_else(mismatch)?;
            let items = spaces
                .iter()
                .map(|(k, s)| Ok((k.clone(), value_from_json(s, obj.get(k).ok_or_else(mismatch)?)?)))
                .collect::<Result<Vec<_>>>()?;
            Ok(Value::Dict(items))
        }
        Space::Tuple(spaces) => {
            let items = json.as_array().filter(|items| items.len() == spaces.len()).ok_or_else(mismatch)?;
            let element = |(i, (j, s)): (usize, (&Json, &Space))| {
                value_from_json(s, j).map_err(|e| EnvError::InvalidAction {
                    action: json.to_string(),
                    reason: format!("element {i} of {}: {e}", space.describe()),
                })
            };
            Ok(Value::Tuple(items.iter().zip(spaces).enumerate().map(element).collect::<Result<_>>()?))
        }
        Space::Box(b) => Ok(b.dtype.array(numbers(json).ok_or_else(mismatch)?)),
        Space::MultiDiscrete { .. } => Ok(DType::Int64.array(integers(json).ok_or_else(mismatch)?)),
        Space::MultiBinary { .. } => Ok(DType::Int8.array(integers(json).ok_or_else(mismatch)?)),
    }
}

/// Like [`numbers`], but None unless every number is a whole number (so `1.5` is refused, not
/// rounded).
fn integers(json: &Json) -> Option<Vec<f64>> {
    numbers(json).filter(|nums| nums.iter().all(|x| x.fract() == 0.0))
}

/// The numbers of a (nested) array, or of a lone number; None if anything else is inside.
fn numbers(json: &Json) -> Option<Vec<f64>> {
    match json {
        Json::Number(n) => n.as_f64().map(|x| vec![x]),
        Json::String(s) if s == "NaN" => Some(vec![f64::NAN]),
        Json::Array(items) => items.iter().map(numbers).collect::<Option<Vec<_>>>().map(|v| v.concat()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_values_print_as_python_floats() {
        let space = Space::uniform_box(-1.0, 1.0, &[2], DType::Float32);
        let json = value_to_json(&space, &Value::F32(vec![0.1, -0.5]));
        // float(np.float32(0.1)) in Python prints 0.10000000149011612.
        assert_eq!(json.to_string(), "[0.10000000149011612,-0.5]");
    }

    #[test]
    fn images_nest_by_shape() {
        let space = Space::uniform_box(0.0, 255.0, &[2, 1, 3], DType::UInt8);
        let json = value_to_json(&space, &Value::U8(vec![1, 2, 3, 4, 5, 6]));
        assert_eq!(json, json!([[[1, 2, 3]], [[4, 5, 6]]]));
    }

    #[test]
    fn dicts_become_objects() {
        let space = Space::dict(vec![
            ("direction".into(), Space::discrete(4)),
            ("mission".into(), Space::Text { min_length: 0, max_length: 9, charset: "ab ".into() }),
        ]);
        let v = Value::Dict(vec![("direction".into(), Value::Int(2)), ("mission".into(), Value::Text("ab".into()))]);
        let json = value_to_json(&space, &v);
        assert_eq!(json, json!({"direction": 2, "mission": "ab"}));
        assert_eq!(value_from_json(&space, &json).unwrap(), v);
    }

    #[test]
    fn actions_parse_by_space() {
        assert_eq!(value_from_json(&Space::discrete(2), &json!(1)).unwrap(), Value::Int(1));
        let b = Space::uniform_box(-1.0, 1.0, &[1], DType::Float32);
        assert_eq!(value_from_json(&b, &json!([0.5])).unwrap(), Value::F32(vec![0.5]));
        assert_eq!(value_from_json(&b, &json!(0.5)).unwrap(), Value::F32(vec![0.5]));
        let err = value_from_json(&Space::discrete(2), &json!("left")).unwrap_err().to_string();
        assert!(err.contains("\"left\"") && err.contains("Discrete(2)"), "{err}");
        assert!(value_from_json(&b, &json!([[0.5], "x"])).is_err());
    }

    #[test]
    fn tuples_are_lists() {
        let space =
            Space::Tuple(vec![Space::discrete(2), Space::MultiDiscrete { nvec: vec![3, 3], start: vec![0, 0] }]);
        let v = Value::Tuple(vec![Value::Int(1), Value::I64(vec![2, 0])]);
        let json = value_to_json(&space, &v);
        assert_eq!(json, json!([1, [2, 0]]));
        assert_eq!(value_from_json(&space, &json).unwrap(), v);
        let err = value_from_json(&space, &json!([1])).unwrap_err().to_string();
        assert!(err.contains("Tuple(Discrete(2), MultiDiscrete([3, 3]))"), "{err}");
        let md = Space::MultiDiscrete { nvec: vec![4, 4], start: vec![0, 0] };
        let err = value_from_json(&md, &json!([1.5, 2])).unwrap_err().to_string();
        assert!(err.contains("MultiDiscrete([4, 4])"), "{err}");
    }
}

//! Values across the boundary: observations out as numpy arrays and Python objects, actions in
//! from whatever Python hands over, checked against the space with a clear exception.

use limbic_environments::{DType, Space, Value};
use pyo3::buffer::{Element, PyBuffer};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBool, PyByteArray, PyDict, PyFloat, PyList, PyString, PyTuple};
use serde_json::Value as Json;

/// An observation as Gymnasium gives it: arrays shaped by the space, dicts, tuples, ints, strings.
pub fn value_to_py(py: Python<'_>, value: Value, space: &Space) -> PyResult<PyObject> {
    Ok(match (value, space) {
        (Value::Int(i), _) => i.into_py(py),
        (Value::Text(s), _) => PyString::new(py, &s).into_py(py),
        (Value::F32(v), space) => shaped(py, v, space)?,
        (Value::F64(v), space) => shaped(py, v, space)?,
        (Value::U8(v), space) => shaped(py, v, space)?,
        (Value::I8(v), space) => shaped(py, v, space)?,
        (Value::I64(v), space) => shaped(py, v, space)?,
        (Value::Dict(items), Space::Dict(spaces)) => {
            let dict = PyDict::new(py);
            for ((key, item), (_, sub)) in items.into_iter().zip(spaces) {
                dict.set_item(key, value_to_py(py, item, sub)?)?;
            }
            dict.into_py(py)
        }
        (Value::Tuple(items), Space::Tuple(spaces)) => {
            let items: Vec<PyObject> =
                items.into_iter().zip(spaces).map(|(v, s)| value_to_py(py, v, s)).collect::<PyResult<_>>()?;
            PyTuple::new(py, items).into_py(py)
        }
        (value, space) => {
            return Err(PyValueError::new_err(format!("observation {value} does not fit {}", space.describe())))
        }
    })
}

/// An array value as a (writable) numpy array of the space's shape.
fn shaped<T: Number>(py: Python<'_>, numbers: Vec<T>, space: &Space) -> PyResult<PyObject> {
    let shape = array_shape(space).unwrap_or_else(|| vec![numbers.len()]);
    new_array(py, &numbers, &shape)
}

/// A numpy array holding a copy of `numbers`, of `shape`. Built through the buffer protocol
/// rather than the `numpy` crate, whose dependencies would change the features of crates burn
/// shares and rebuild burn for the extension.
pub fn new_array<T: Number>(py: Python<'_>, numbers: &[T], shape: &[usize]) -> PyResult<PyObject> {
    let mut bytes = Vec::with_capacity(std::mem::size_of_val(numbers));
    for x in numbers {
        x.extend_bytes(&mut bytes);
    }
    let array = numpy_function(py, "frombuffer")?.call1((PyByteArray::new(py, &bytes), T::DTYPE))?;
    match shape {
        [len] if *len == numbers.len() => Ok(array.into_py(py)),
        _ => Ok(array.call_method1("reshape", (shape.to_vec(),))?.into_py(py)),
    }
}

/// A function of the numpy module, looked up once.
pub(crate) fn numpy_function<'py>(py: Python<'py>, name: &'static str) -> PyResult<&'py PyAny> {
    static FUNCTIONS: GILOnceCell<Vec<(&'static str, PyObject)>> = GILOnceCell::new();
    let functions = FUNCTIONS.get_or_try_init(py, || -> PyResult<_> {
        let numpy = py.import("numpy")?;
        ["frombuffer", "asarray", "ascontiguousarray"]
            .into_iter()
            .map(|f| Ok((f, numpy.getattr(f)?.into_py(py))))
            .collect()
    })?;
    let (_, function) = functions.iter().find(|(f, _)| *f == name).expect("a numpy function looked up above");
    Ok(function.as_ref(py))
}

/// The element types of limbic's arrays, with their numpy names.
pub trait Number: Element + Copy {
    const DTYPE: &'static str;
    fn extend_bytes(self, out: &mut Vec<u8>);
}

macro_rules! number {
    ($($t:ty => $name:literal),*) => {$(
        impl Number for $t {
            const DTYPE: &'static str = $name;
            fn extend_bytes(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_ne_bytes());
            }
        }
    )*};
}

number!(f32 => "float32", f64 => "float64", u8 => "uint8", i8 => "int8", i64 => "int64");

/// The numpy shape of an element of an array space.
fn array_shape(space: &Space) -> Option<Vec<usize>> {
    match space {
        Space::Box(b) => Some(b.shape.clone()),
        Space::MultiDiscrete { nvec, .. } => Some(vec![nvec.len()]),
        Space::MultiBinary { shape } => Some(shape.clone()),
        _ => None,
    }
}

/// A Python action as a value of `space`, or a TypeError/ValueError that says what was expected.
pub fn action_from_py(action: &PyAny, space: &Space) -> PyResult<Value> {
    let what = &space.describe();
    Ok(match space {
        Space::Discrete { .. } => Value::Int(discrete(action, what)?),
        Space::Box(b) => match b.dtype {
            DType::Float32 => Value::F32(array(action, &b.shape, b.dtype, what)?),
            DType::Float64 => Value::F64(array(action, &b.shape, b.dtype, what)?),
            DType::UInt8 => Value::U8(array(action, &b.shape, b.dtype, what)?),
            DType::Int8 => Value::I8(array(action, &b.shape, b.dtype, what)?),
            DType::Int64 => Value::I64(array(action, &b.shape, b.dtype, what)?),
        },
        Space::MultiDiscrete { nvec, .. } => Value::I64(array(action, &[nvec.len()], DType::Int64, what)?),
        Space::MultiBinary { shape } => Value::I8(array(action, shape, DType::Int8, what)?),
        Space::Dict(spaces) => {
            let dict = action.downcast::<PyDict>().map_err(|_| wrong_type(action, what, "a dict"))?;
            let mut items = Vec::with_capacity(spaces.len());
            for (key, sub) in spaces {
                let item = dict
                    .get_item(key)
                    .ok_or_else(|| PyValueError::new_err(format!("action for {what} has no key '{key}'")))?;
                items.push((key.clone(), action_from_py(item, sub)?));
            }
            Value::Dict(items)
        }
        Space::Tuple(spaces) => {
            let items: Vec<&PyAny> = action.extract().map_err(|_| wrong_type(action, what, "a tuple"))?;
            if items.len() != spaces.len() {
                let message = format!("action for {what} needs {} items, got {}", spaces.len(), items.len());
                return Err(PyValueError::new_err(message));
            }
            Value::Tuple(items.iter().zip(spaces).map(|(a, s)| action_from_py(a, s)).collect::<PyResult<_>>()?)
        }
        Space::Text { .. } => Value::Text(action.extract().map_err(|_| wrong_type(action, what, "a str"))?),
    })
}

/// An integer action: Python ints, numpy integer scalars and 0-d integer arrays; never a float
/// or a bool, which Python would otherwise turn into an index silently.
fn discrete(action: &PyAny, what: &str) -> PyResult<i64> {
    let kind = numpy_kind(action);
    let refused = action.is_instance_of::<PyFloat>()
        || action.is_instance_of::<PyBool>()
        || kind.as_deref().is_some_and(|k| k != "i" && k != "u");
    match refused {
        true => Err(wrong_type(action, what, "an integer")),
        false => action.extract().map_err(|_| wrong_type(action, what, "an integer")),
    }
}

/// The numpy dtype kind of a numpy scalar or array (`None` for other objects).
fn numpy_kind(object: &PyAny) -> Option<String> {
    object.getattr("dtype").and_then(|d| d.getattr("kind")).and_then(|k| k.extract()).ok()
}

/// The numbers of an array-like action of exactly `shape`, cast to `dtype`; integer spaces
/// refuse float arrays rather than truncating them. `what` names the space in messages.
pub fn array<T: Number>(action: &PyAny, shape: &[usize], dtype: DType, what: &str) -> PyResult<Vec<T>> {
    let py = action.py();
    // The common case, an array of exactly this dtype and shape, is read as it is.
    if let Ok(buffer) = PyBuffer::<T>::get(action) {
        if buffer.shape() == shape && buffer.is_c_contiguous() {
            return buffer.to_vec(py);
        }
    }
    let given = numpy_function(py, "asarray")?.call1((action,)).map_err(|_| wrong_type(action, what, "an array"))?;
    let kind: String = given.getattr("dtype")?.getattr("kind")?.extract()?;
    let integer_space = !matches!(dtype, DType::Float32 | DType::Float64);
    if !matches!(kind.as_str(), "i" | "u" | "b" | "f") || (integer_space && kind == "f") {
        let wanted = if integer_space { "an integer array" } else { "a numeric array" };
        return Err(wrong_type(action, what, wanted));
    }
    let got: Vec<usize> = given.getattr("shape")?.extract()?;
    if got != shape {
        let message = format!("action for {what} must have shape {shape:?}, got shape {got:?}");
        return Err(PyValueError::new_err(message));
    }
    let typed = numpy_function(py, "ascontiguousarray")?.call1((given, dtype.name()))?;
    PyBuffer::<T>::get(typed)?.to_vec(py)
}

fn wrong_type(action: &PyAny, what: &str, wanted: &str) -> PyErr {
    let type_name = action.get_type().name().unwrap_or("?").to_string();
    let shown = action.repr().map(|r| r.to_string()).unwrap_or_default();
    PyTypeError::new_err(format!("action for {what} must be {wanted}, got {type_name} {shown}"))
}

/// A JSON value (an `info` dict) as Python objects.
pub fn json_to_py(py: Python<'_>, json: &Json) -> PyResult<PyObject> {
    Ok(match json {
        Json::Null => py.None(),
        Json::Bool(b) => b.into_py(py),
        Json::Number(n) => match n.as_i64() {
            Some(i) => i.into_py(py),
            None => n.as_f64().unwrap_or(f64::NAN).into_py(py),
        },
        Json::String(s) => s.into_py(py),
        Json::Array(items) => {
            let items: Vec<PyObject> = items.iter().map(|j| json_to_py(py, j)).collect::<PyResult<_>>()?;
            PyList::new(py, items).into_py(py)
        }
        Json::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, json_to_py(py, item)?)?;
            }
            dict.into_py(py)
        }
    })
}

/// A JSON object given as text by the Python side (kwargs, options).
pub fn json_object(text: &str, what: &str) -> PyResult<serde_json::Map<String, Json>> {
    serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("{what}: not a JSON object: {e}")))
}

//! The threaded vector env: contiguous chunks of sub-envs stepped on persistent worker threads.
//!
//! Spawning threads per step costs tens of microseconds, as much as stepping a thousand
//! CartPoles, so the workers live as long as the vector env. Between jobs they spin briefly (a
//! learner usually calls again at once) and then park, so an idle vector env costs no CPU.

use super::sync::Part;
use super::Episode;
use crate::env::Env;
use crate::error::Result;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// How long a waiting thread keeps checking (yielding in between) before it parks.
const SPIN: Duration = Duration::from_micros(50);
/// Busy checks before the first yield.
const SPIN_LOOPS: u32 = 200;

/// The chunking of N sub-envs over the threads, and the workers.
pub(super) struct Threads {
    /// Sub-envs per chunk; chunk 0 runs on the caller's thread.
    sizes: Vec<usize>,
    /// Episode lists of chunks 1.., kept to reuse their capacity.
    episodes: Vec<Vec<Episode>>,
    pool: Pool,
}

impl Threads {
    /// `count` chunks (2 <= count <= num_envs) of near-equal size.
    pub(super) fn new(count: usize, num_envs: usize) -> Result<Self> {
        let sizes = (0..count).map(|k| (k + 1) * num_envs / count - k * num_envs / count).collect();
        Ok(Threads { sizes, episodes: vec![Vec::new(); count - 1], pool: Pool::new(count - 1)? })
    }

    pub(super) fn count(&self) -> usize {
        self.sizes.len()
    }

    /// Runs `job` on every chunk of `whole` in parallel, then appends the chunks' finished
    /// episodes to `episodes` in chunk order, so the list is the one a single thread makes.
    pub(super) fn run<E: Env>(
        &mut self,
        whole: Part<'_, E>,
        episodes: &mut Vec<Episode>,
        job: &(impl Fn(&mut Part<'_, E>) -> Result<()> + Sync),
    ) -> Result<()> {
        let mut parts = Vec::with_capacity(self.count());
        let mut rest = whole;
        for (size, chunk_episodes) in self.sizes.iter().zip(&mut self.episodes) {
            let (part, mut next) = rest.split_at(*size);
            next.episodes = std::mem::take(chunk_episodes);
            parts.push(part);
            rest = next;
        }
        parts.push(rest);
        self.pool.for_each_mut(&mut parts, &|part: &mut Part<'_, E>| part.result = job(part));

        let mut parts = parts.into_iter();
        let mut result = Ok(());
        if let Some(first) = parts.next() {
            *episodes = first.episodes;
            result = first.result;
        }
        for (mut part, chunk_episodes) in parts.zip(&mut self.episodes) {
            episodes.append(&mut part.episodes);
            *chunk_episodes = part.episodes;
            result = result.and(part.result);
        }
        result
    }
}

/// Persistent worker threads that run one job on items 1.. of a slice while the caller runs
/// item 0, like a scoped broadcast.
struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

/// What the caller and the workers share.
struct Shared {
    /// Bumped for each new job.
    generation: AtomicU64,
    /// Workers still running the current job.
    remaining: AtomicUsize,
    panicked: AtomicBool,
    shutdown: AtomicBool,
    job: Mutex<Option<Job>>,
}

/// The current job, with its lifetime erased: `for_each_mut` does not return before every
/// worker has finished with it.
#[derive(Clone)]
struct Job {
    run: *const (dyn Fn(usize) + Sync),
    caller: Thread,
}

// SAFETY: `run` points to a `Sync` closure that outlives every use (see `Pool::for_each_mut`).
unsafe impl Send for Job {}

/// A slice's base pointer, shared so that each worker can take its own element.
struct Items<T>(*mut T);

// SAFETY: workers access distinct elements only (one index each), and `T: Send`.
unsafe impl<T: Send> Sync for Items<T> {}

impl<T> Items<T> {
    /// # Safety
    /// `index` is in bounds and no other reference to that element exists while it is used.
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&self, index: usize) -> &mut T {
        &mut *self.0.add(index)
    }
}

impl Pool {
    fn new(workers: usize) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            generation: AtomicU64::new(0),
            remaining: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            job: Mutex::new(None),
        });
        let mut pool = Pool { shared, workers: Vec::with_capacity(workers) };
        for index in 1..=workers {
            let shared = Arc::clone(&pool.shared);
            let spawned =
                thread::Builder::new().name(format!("limbic-vecenv-{index}")).spawn(move || work(&shared, index));
            // On failure, dropping the pool stops the workers already started.
            pool.workers.push(spawned?);
        }
        Ok(pool)
    }

    /// Calls `job` on every item, item 0 on this thread and item k on worker k; returns when
    /// all are done. `items` has one element per thread.
    fn for_each_mut<T: Send>(&self, items: &mut [T], job: &(dyn Fn(&mut T) + Sync)) {
        assert_eq!(items.len(), self.workers.len() + 1, "one item per thread");
        let base = Items(items.as_mut_ptr());
        // SAFETY: index k is used by exactly one thread (worker k, or this one for 0).
        let run = |k: usize| job(unsafe { base.get(k) });
        let run: &(dyn Fn(usize) + Sync) = &run;
        // SAFETY: the reference is only used until `remaining` reaches 0, which we wait for
        // below (also when our own part panics); after that no worker touches the job.
        let run: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(run) };
        let shared = &self.shared;
        *lock(&shared.job) = Some(Job { run, caller: thread::current() });
        shared.remaining.store(self.workers.len(), Ordering::Release);
        shared.generation.fetch_add(1, Ordering::Release);
        for worker in &self.workers {
            worker.thread().unpark();
        }
        let own = catch_unwind(AssertUnwindSafe(|| job(unsafe { base.get(0) })));
        wait_until(|| shared.remaining.load(Ordering::Acquire) == 0);
        *lock(&shared.job) = None;
        if let Err(panic) = own {
            resume_unwind(panic);
        }
        if shared.panicked.swap(false, Ordering::AcqRel) {
            panic!("a vector-env worker thread panicked");
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Release);
        for worker in self.workers.drain(..) {
            worker.thread().unpark();
            // A worker only panics outside jobs if the machine is broken; nothing to add then.
            let _ = worker.join();
        }
    }
}

/// A worker's life: wait for a new generation, run item `index` of its job, report, repeat.
fn work(shared: &Shared, index: usize) {
    let mut seen = 0;
    loop {
        wait_until(|| shared.generation.load(Ordering::Acquire) != seen || shared.shutdown.load(Ordering::Acquire));
        if shared.shutdown.load(Ordering::Acquire) {
            return;
        }
        seen = shared.generation.load(Ordering::Acquire);
        let Some(job) = lock(&shared.job).clone() else { continue };
        // SAFETY: the caller keeps the closure alive until `remaining` reaches 0.
        let run = unsafe { &*job.run };
        if catch_unwind(AssertUnwindSafe(|| run(index))).is_err() {
            shared.panicked.store(true, Ordering::Release);
        }
        if shared.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            job.caller.unpark();
        }
    }
}

/// Waits for `ready`: spins a little, then yields the core for up to [`SPIN`] (to other threads
/// when the machine is oversubscribed, straight back otherwise), then parks between checks
/// (whoever makes `ready` true unparks this thread).
fn wait_until(ready: impl Fn() -> bool) {
    for _ in 0..SPIN_LOOPS {
        if ready() {
            return;
        }
        std::hint::spin_loop();
    }
    let start = Instant::now();
    while !ready() {
        if start.elapsed() < SPIN {
            thread::yield_now();
        } else {
            thread::park();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

//! The threads that decode images: a few of Metarr's own rather than tokio's blocking pool.
//!
//! A decoded poster takes 20–40 MB. glibc's allocator gives each thread that allocates such
//! buffers an arena of its own and keeps freed memory in it: with decodes spread over tokio's
//! many blocking threads, a worker selecting 1,800 images peaked at 145 MB (`bench/run
//! artwork`; 108 MB with `MALLOC_ARENA_MAX=2`), and with every decode on the same two threads
//! at 89 MB. The pool bounds both the work at once and the arenas holding it.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

type Task = Box<dyn FnOnce() + Send>;

/// A fixed set of decoding threads; they end when the pool is dropped.
pub struct DecodePool {
    sender: Mutex<Sender<Task>>,
}

/// The decode panicked (a bug in a codec): the caller reports it as Metarr's own fault.
#[derive(Debug, thiserror::Error)]
#[error("decoding an image panicked")]
pub struct Panicked;

impl DecodePool {
    /// A pool of `threads` threads named `metarr-decode-N`.
    pub fn new(threads: usize) -> DecodePool {
        let (sender, receiver) = std::sync::mpsc::channel::<Task>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned =
                std::thread::Builder::new().name(format!("metarr-decode-{index}")).spawn(move || work(&receiver));
            if let Err(err) = spawned {
                // Fewer threads only slow decoding; none at all is caught by `run`'s answer.
                tracing::error!(error = %err, "could not start an image decoding thread");
            }
        }
        DecodePool { sender: Mutex::new(sender) }
    }

    /// Runs `work` on one of the pool's threads, inside the caller's span.
    pub async fn run<R, F>(&self, work: F) -> Result<R, Panicked>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let task: Task = Box::new(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| span.in_scope(work)));
            let _ = answer.send(result.map_err(|_| Panicked));
        });
        self.sender.lock().unwrap_or_else(std::sync::PoisonError::into_inner).send(task).map_err(|_| Panicked)?;
        answered.await.map_err(|_| Panicked)?
    }
}

fn work(receiver: &Mutex<Receiver<Task>>) {
    loop {
        // The lock is held only while waiting for the next task, never while running one.
        let task = match receiver.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv() {
            Ok(task) => task,
            Err(_) => return,
        };
        task();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_on_its_threads_and_survives_a_panic() {
        let pool = DecodePool::new(2);
        let name = pool.run(|| std::thread::current().name().map(str::to_owned)).await.expect("ran");
        assert!(name.is_some_and(|name| name.starts_with("metarr-decode-")));
        assert!(pool.run(|| panic!("a codec bug")).await.is_err());
        assert_eq!(pool.run(|| 41 + 1).await.expect("the pool still works"), 42);
        let results = futures::future::join_all((0..20).map(|n| pool.run(move || n * 2))).await;
        assert_eq!(results.into_iter().map(|r| r.expect("ran")).sum::<i32>(), (0..20).map(|n| n * 2).sum::<i32>());
    }
}

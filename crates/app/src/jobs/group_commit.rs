//! Group commit: the writes of concurrent jobs share one transaction on the single writer.
//!
//! A scan runs thousands of small jobs, and each one ends in a short write. On SQLite every
//! statement is a hand-off to the writer's thread and back, and the writer waits idle through
//! each hand-off; writing one job at a time, a 10,000-movie scan spends most of its time there.
//! Here the first job to reach the writer takes every write queued so far and commits them
//! together; the jobs that queued behind it find their result ready when their turn comes.
//!
//! A batch that fails is written again one item at a time, so a bad item fails only its own job.

use crate::catalogue::CatalogueError;
use futures::future::BoxFuture;
use tokio::sync::oneshot;

type Reply = oneshot::Sender<Result<(), CatalogueError>>;

/// Writes a whole batch in one transaction, with what it needs from `C`.
pub type BatchWrite<C, T> = for<'a> fn(&'a C, &'a [T]) -> BoxFuture<'a, Result<(), CatalogueError>>;

/// Writes of one kind waiting for the writer.
pub struct GroupCommit<T> {
    pending: std::sync::Mutex<Vec<(T, Reply)>>,
    /// Held by the job writing a batch; fair, so jobs take turns in arrival order.
    writer: tokio::sync::Mutex<()>,
}

impl<T> Default for GroupCommit<T> {
    fn default() -> Self {
        GroupCommit { pending: std::sync::Mutex::new(Vec::new()), writer: tokio::sync::Mutex::new(()) }
    }
}

impl<T: Send> GroupCommit<T> {
    /// Writes `item`, perhaps together with others, with `write`, which writes a whole batch in
    /// one transaction using `context`. Returns once the item is committed or has failed.
    pub async fn submit<C: Sync>(&self, context: &C, item: T, write: BatchWrite<C, T>) -> Result<(), CatalogueError> {
        let (reply, mut result) = oneshot::channel();
        self.pending.lock().expect("the pending list is never poisoned").push((item, reply));
        let _writer = self.writer.lock().await;
        match result.try_recv() {
            Ok(done) => return done,
            // The job that took this item stopped before answering; nothing of it was committed.
            Err(oneshot::error::TryRecvError::Closed) => {
                return Err(CatalogueError::Invalid("the batch holding this write was interrupted".into()));
            }
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        // Still unanswered, so this item is still pending: write it with everything queued since.
        let batch = std::mem::take(&mut *self.pending.lock().expect("the pending list is never poisoned"));
        let (items, replies): (Vec<T>, Vec<Reply>) = batch.into_iter().unzip();
        match write(context, &items).await {
            Ok(()) => {
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(err) if items.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(err));
                }
            }
            Err(err) => {
                tracing::debug!(items = items.len(), error = %metarr_errors::Chain(&err), "a batched write failed; writing its items one by one");
                for (item, reply) in items.iter().zip(replies) {
                    let _ = reply.send(write(context, std::slice::from_ref(item)).await);
                }
            }
        }
        result.await.unwrap_or_else(|_| Err(CatalogueError::Invalid("a batched write went unanswered".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Records each batch's size; refuses any batch holding a negative number.
    struct Log {
        batches: std::sync::Mutex<Vec<Vec<i32>>>,
        written: AtomicUsize,
    }

    impl Log {
        fn write<'a>(&'a self, items: &'a [i32]) -> BoxFuture<'a, Result<(), CatalogueError>> {
            Box::pin(async move {
                // Let other submitters queue up behind this batch, as they do behind a real write.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                self.batches.lock().expect("not poisoned").push(items.to_vec());
                if items.iter().any(|i| *i < 0) {
                    return Err(CatalogueError::Invalid(format!("refused {items:?}")));
                }
                self.written.fetch_add(items.len(), Ordering::SeqCst);
                Ok(())
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_share_batches_and_a_bad_item_fails_alone() {
        let group = Arc::new(GroupCommit::<i32>::default());
        let log = Arc::new(Log { batches: std::sync::Mutex::new(Vec::new()), written: AtomicUsize::new(0) });
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let (group, log) = (Arc::clone(&group), Arc::clone(&log));
                let item = if i == 17 { -1 } else { i };
                tokio::spawn(async move { (item, group.submit(&*log, item, |log, items| log.write(items)).await) })
            })
            .collect();
        let mut failed = Vec::new();
        for task in tasks {
            let (item, result) = task.await.expect("the task ran");
            if result.is_err() {
                failed.push(item);
            }
        }
        assert_eq!(failed, vec![-1], "only the bad item fails");
        assert_eq!(log.written.load(Ordering::SeqCst), 39, "every good item is written once");
        let batches = log.batches.lock().expect("not poisoned");
        assert!(batches.iter().any(|b| b.len() > 1), "concurrent writes were grouped: {batches:?}");
        assert!(batches.len() < 40 + 10, "not one transaction per item: {} batches", batches.len());
    }

    #[tokio::test]
    async fn a_lone_write_is_written_at_once() {
        let group = GroupCommit::<i32>::default();
        let log = Log { batches: std::sync::Mutex::new(Vec::new()), written: AtomicUsize::new(0) };
        group.submit(&log, 5, |log, items| log.write(items)).await.expect("written");
        let err = group.submit(&log, -5, |log, items| log.write(items)).await.expect_err("refused");
        assert!(err.to_string().contains("refused [-5]"), "{err}");
        assert_eq!(*log.batches.lock().expect("not poisoned"), vec![vec![5], vec![-5]]);
    }
    /// A job stopped while it wrote a batch (its handler was dropped): nothing of the batch was
    /// committed, so the other jobs whose items it had taken get an error to retry, at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn items_of_a_batch_whose_writer_stops_fail_instead_of_waiting() {
        use std::time::Duration;
        let group = Arc::new(GroupCommit::<i32>::default());
        let release = Arc::new(tokio::sync::Notify::new());
        /// Item 1 is written once released; a batch holding item 2 never finishes.
        fn write<'a>(release: &'a tokio::sync::Notify, items: &'a [i32]) -> BoxFuture<'a, Result<(), CatalogueError>> {
            let first = items.contains(&1);
            Box::pin(async move {
                if first {
                    release.notified().await;
                    Ok(())
                } else {
                    std::future::pending().await
                }
            })
        }
        let submit = |item: i32| {
            let (group, release) = (Arc::clone(&group), Arc::clone(&release));
            tokio::spawn(async move { group.submit(&*release, item, write).await })
        };
        let first = submit(1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = submit(2);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let third = submit(3);
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The first batch ends; the second job takes items 2 and 3 and hangs writing them.
        release.notify_one();
        first.await.expect("the task ran").expect("item 1 written");
        tokio::time::sleep(Duration::from_millis(50)).await;
        second.abort();
        let third = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("item 3 does not wait for ever")
            .expect("the task ran");
        let err = third.expect_err("item 3 was never committed");
        assert!(err.to_string().contains("interrupted"), "{err}");
    }
}

package io.fleet.secrets.internal;

import io.fleet.api.FleetException;
import io.fleet.api.data.StoredSecret;
import io.fleet.secrets.RotationStep;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Re-encrypts a run of independent secrets on a bounded pool, while the rotating thread records
 * each as it finishes (so journaling, saves and listeners stay on that thread). On the first
 * failure no further secret starts; those already running finish and are recorded, then the failure
 * is thrown.
 */
final class ParallelReencryption {
  /** What the rotating thread does with the secrets that finished since it last looked. */
  interface Finished {
    void accept(List<Map.Entry<RotationStep, StoredSecret>> done);
  }

  /**
   * How many secrets may wait, done or queued, per worker: workers keep going while the rotating
   * thread syncs a batch to disk, and memory stays bounded.
   */
  private static final int AHEAD_PER_WORKER = 32;

  /** A step that failed, with its error. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient RotationStep step;
    final FleetException error;

    Failure(RotationStep step, FleetException error) {
      super(error.getMessage(), error, false, false);
      this.step = step;
      this.error = error;
    }
  }

  private ParallelReencryption() {}

  /**
   * Runs {@code work} for every step on {@code pool} (of {@code parallelism} threads); calls {@code
   * started} before submitting each and {@code finished} with every batch of completed ones, both
   * on this thread.
   *
   * @throws Failure for the first step that failed, after the others in flight finished
   */
  static void run(
      List<RotationStep> steps,
      int parallelism,
      ExecutorService pool,
      Function<RotationStep, StoredSecret> work,
      Consumer<RotationStep> started,
      Finished finished) {
    ExecutorCompletionService<Object[]> done = new ExecutorCompletionService<>(pool);
    Deque<RotationStep> waiting = new ArrayDeque<>(steps);
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    int inFlight = 0;
    Failure failure = null;
    while (inFlight > 0 || (failure == null && !waiting.isEmpty())) {
      while (failure == null && inFlight < parallelism * AHEAD_PER_WORKER && !waiting.isEmpty()) {
        RotationStep s = waiting.poll();
        started.accept(s);
        done.submit(
            () -> {
              if (stop.get()) {
                return null; // not started: a step before failed
              }
              try {
                return new Object[] {s, work.apply(s)};
              } catch (FleetException e) {
                return new Object[] {s, e};
              }
            });
        inFlight++;
      }
      List<Object[]> results = new ArrayList<>();
      try {
        for (Future<Object[]> f = done.take(); f != null; f = done.poll()) {
          inFlight--;
          Object[] r = f.get();
          if (r != null) {
            results.add(r);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FleetException("the rotation was interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("re-encryption failed unexpectedly", e.getCause());
      }
      List<Map.Entry<RotationStep, StoredSecret>> batch = new ArrayList<>();
      for (Object[] r : results) {
        RotationStep s = (RotationStep) r[0];
        if (r[1] instanceof FleetException) {
          if (failure == null) {
            failure = new Failure(s, (FleetException) r[1]);
            stop.set(true); // queued ones do not start; running ones finish and are recorded
          }
        } else {
          batch.add(Map.entry(s, (StoredSecret) r[1]));
        }
      }
      if (!batch.isEmpty()) {
        finished.accept(batch);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}

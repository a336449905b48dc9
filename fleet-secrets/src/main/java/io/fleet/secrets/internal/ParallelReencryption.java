package io.fleet.secrets.internal;

import io.fleet.api.FleetException;
import io.fleet.api.data.StoredSecret;
import io.fleet.secrets.RotationStep;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
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
  /** What the rotating thread does with one finished secret. */
  interface Finished {
    void accept(RotationStep step, StoredSecret secret);
  }

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
   * Runs {@code work} for every step, at most {@code parallelism} at once on {@code pool}; calls
   * {@code started} before submitting each and {@code finished} as each completes, both on this
   * thread.
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
    int inFlight = 0;
    Failure failure = null;
    while (inFlight > 0 || (failure == null && !waiting.isEmpty())) {
      while (failure == null && inFlight < parallelism && !waiting.isEmpty()) {
        RotationStep s = waiting.poll();
        started.accept(s);
        done.submit(
            () -> {
              try {
                return new Object[] {s, work.apply(s)};
              } catch (FleetException e) {
                return new Object[] {s, e};
              }
            });
        inFlight++;
      }
      Object[] r;
      try {
        Future<Object[]> f = done.take();
        inFlight--;
        r = f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FleetException("the rotation was interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("re-encryption failed unexpectedly", e.getCause());
      }
      RotationStep s = (RotationStep) r[0];
      if (r[1] instanceof FleetException) {
        if (failure == null) {
          failure = new Failure(s, (FleetException) r[1]);
        }
      } else {
        finished.accept(s, (StoredSecret) r[1]);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}

package io.fleet.examples.cli;

import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentListener;
import io.fleet.api.pipeline.PipelineEvent;
import io.fleet.api.pipeline.PipelineStage;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Shows a deployment's progress on standard error: one line per host step when the output is not a
 * terminal (piped, in CI, in a log), a bar redrawn in place when it is.
 */
final class Progress implements DeploymentListener {
  private final PrintStream err;
  private final boolean bar;
  private final int total;
  private final AtomicInteger done = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();

  Progress(PrintStream err, boolean terminal, int total) {
    this.err = err;
    this.bar = terminal;
    this.total = total;
  }

  @Override
  public void onEvent(DeploymentEvent e) {
    switch (e.kind()) {
      case STEP_STARTED -> line(e.host(), step(e) + " ...");
      case STEP_FAILED -> line(e.host(), step(e) + " failed: " + e.message());
      case HOST_FINISHED -> {
        done.incrementAndGet();
        if (e.outcome().map(o -> !o.isSuccess()).orElse(false)) {
          failed.incrementAndGet();
        }
        line(e.host(), e.outcome().map(Enum::name).orElse("done"));
      }
      case CANCELLED -> line("", "cancelled: no new host starts");
      default -> {}
    }
  }

  /**
   * A pipeline's evaluation or build event as a line ({@code web-1: build ...}, {@code web-1: build
   * failed: …}); deployment events go to {@link #onEvent}.
   */
  void onPipelineEvent(PipelineEvent e) {
    if (e.host().isEmpty() || e.stage() == PipelineStage.DEPLOY) {
      return;
    }
    String stage = e.stage().name().toLowerCase(Locale.ROOT);
    switch (e.kind()) {
      case STARTED -> line(e.host(), stage + " ...");
      case FINISHED -> line(e.host(), stage + " done");
      case FAILED -> line(e.host(), stage + " failed: " + DeployCommand.firstLine(e.message()));
      case SKIPPED -> line(e.host(), stage + " skipped: " + DeployCommand.firstLine(e.message()));
      default -> {}
    }
  }

  private static String step(DeploymentEvent e) {
    return e.step().map(s -> s.name().toLowerCase(Locale.ROOT)).orElse("step");
  }

  private synchronized void line(String host, String text) {
    if (bar) {
      int width = 30;
      int filled = total == 0 ? width : done.get() * width / total;
      err.print(
          "\r["
              + "#".repeat(filled)
              + "-".repeat(width - filled)
              + "] "
              + done.get()
              + "/"
              + total
              + " hosts"
              + (failed.get() > 0 ? ", " + failed.get() + " failed" : "")
              + "  "
              + pad(host + " " + text, 40));
      if (done.get() == total) {
        err.println();
      }
    } else {
      err.println(host.isEmpty() ? text : host + ": " + text);
    }
    err.flush();
  }

  private static String pad(String s, int n) {
    return s.length() >= n ? s.substring(0, n) : s + " ".repeat(n - s.length());
  }
}

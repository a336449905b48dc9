package io.fleet.examples;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a process to its end (bounded), for tests that start jshell, a script or a new JVM. */
public record ProcessRun(int exit, String out, String err) {
  /** The module's runtime class path (target/classpath.txt) plus its classes. */
  public static String moduleClassPath() {
    Path cp = Path.of("target", "classpath.txt");
    try {
      return Files.readString(cp).trim()
          + File.pathSeparator
          + Path.of("target", "classes").toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "target/classpath.txt is written by the build (generate-resources): run mvn, not the IDE",
          e);
    }
  }

  /** The JDK tool {@code name} of the JDK running the tests. */
  public static String jdkTool(String name) {
    return Path.of(System.getProperty("java.home"), "bin", name).toString();
  }

  /** Runs {@code command} with extra {@code env}, empty stdin, for at most {@code seconds}. */
  public static ProcessRun run(List<String> command, Map<String, String> env, long seconds) {
    try {
      Path out = Files.createTempFile("proc-out", ".txt");
      Path err = Files.createTempFile("proc-err", ".txt");
      ProcessBuilder pb =
          new ProcessBuilder(new ArrayList<>(command))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError(
            command.get(0)
                + " did not finish in "
                + seconds
                + " s; output: "
                + Files.readString(out));
      }
      ProcessRun r =
          new ProcessRun(
              p.exitValue(),
              Files.readString(out, StandardCharsets.UTF_8),
              Files.readString(err, StandardCharsets.UTF_8));
      Files.delete(out);
      Files.delete(err);
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}

package io.fleet.testkit.internal;

import io.fleet.api.spi.StorePathInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What a fake host's {@code nix-store --realise} does with a derivation ({@code
 * HostProtocol.REALISE_SCRIPT}): checks the derivation and its input closure are in the host's
 * store, "builds" the outputs the host lacks (the output closure the fake evaluator knows for that
 * derivation), and answers as the script does ({@code output=} lines, {@code build-log=} lines on
 * failure, nix-store's exit code).
 */
public final class FakeRealisation {
  private FakeRealisation() {}

  /** A derivation as the fake evaluator made it. */
  public static final class Derivation {
    /** Its {@code .drv} path. */
    public final String drvPath;

    /** Its output path. */
    public final String outPath;

    /** The closure of the {@code .drv} (what must be in the store to build it). */
    public final List<StorePathInfo> inputs;

    /** The closure of the output (what the store holds after the build). */
    public final List<StorePathInfo> outputs;

    /** A derivation. */
    public Derivation(
        String drvPath, String outPath, List<StorePathInfo> inputs, List<StorePathInfo> outputs) {
      this.drvPath = drvPath;
      this.outPath = outPath;
      this.inputs = List.copyOf(inputs);
      this.outputs = List.copyOf(outputs);
    }
  }

  /** The answer of the realise command and the paths it added to the store. */
  public static final class Result {
    /** Exit code. */
    public final int exit;

    /** Standard output, as the script prints it. */
    public final String stdout;

    /** The paths built, references first. */
    public final List<StorePathInfo> built;

    Result(int exit, String stdout, List<StorePathInfo> built) {
      this.exit = exit;
      this.stdout = stdout;
      this.built = List.copyOf(built);
    }
  }

  /**
   * Realises {@code drv} in a store where {@code has} tells what is valid, with {@code freeBytes}
   * free; {@code failure} (a log line) makes the build fail with it, as a failing builder does.
   */
  public static Result realise(
      String drv,
      Function<String, Optional<Derivation>> derivations,
      Predicate<String> has,
      long freeBytes,
      Optional<String> failure) {
    if (!has.test(drv)) {
      return failed(1, "error: path '" + drv + "' is not valid");
    }
    Optional<Derivation> found = derivations.apply(drv);
    if (found.isEmpty()) {
      return failed(
          1,
          "error: fake host: "
              + drv
              + " is not a derivation the fake evaluator made, so it cannot be built here");
    }
    Derivation d = found.get();
    for (StorePathInfo p : d.inputs) {
      if (!has.test(p.path())) {
        return failed(
            1, "error: path '" + p.path() + "' is not valid (an input of " + drv + " is missing)");
      }
    }
    List<StorePathInfo> build = new ArrayList<>();
    long need = 0;
    for (StorePathInfo p : d.outputs) {
      if (!has.test(p.path())) {
        build.add(p);
        need += p.narSize();
      }
    }
    if (failure.isPresent()) {
      String name = d.outPath.substring(d.outPath.indexOf('-') + 1);
      return failed(
          1,
          "building '" + drv + "'...",
          name + "> " + failure.get(),
          "error: builder for '" + drv + "' failed with exit code 1");
    }
    if (need > freeBytes) {
      return failed(
          1,
          "building '" + drv + "'...",
          "error: writing to file: No space left on device while building " + d.outPath);
    }
    return new Result(0, "output=" + d.outPath + "\n", build);
  }

  private static Result failed(int exit, String... log) {
    StringBuilder sb = new StringBuilder();
    for (String l : log) {
      sb.append("build-log=").append(l).append('\n');
    }
    return new Result(exit, sb.toString(), List.of());
  }
}

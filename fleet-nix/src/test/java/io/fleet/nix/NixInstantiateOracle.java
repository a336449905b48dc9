package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.testkit.ExternalTools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real Nix evaluator as the oracle: {@code nix-instantiate --eval --strict --json FILE}, and a
 * comparison of its JSON with the JSON of our reader's value.
 */
final class NixInstantiateOracle {
  private static final ObjectMapper JSON = new ObjectMapper();

  private NixInstantiateOracle() {}

  /** The result of evaluating a file: its JSON, or nix's error message. */
  static final class Result {
    final JsonNode value;
    final String error;

    Result(JsonNode value, String error) {
      this.value = value;
      this.error = error;
    }
  }

  /** Evaluates {@code file} with the real nix-instantiate. */
  static Result eval(Path file) {
    Path nix = ExternalTools.require("nix-instantiate");
    try {
      Process p =
          new ProcessBuilder(
                  nix.toString(),
                  "--eval",
                  "--strict",
                  "--json",
                  "--option",
                  "substituters",
                  "",
                  file.toString())
              .start();
      p.getOutputStream().close();
      CompletableFuture<byte[]> err =
          CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
      byte[] out = readAll(p.getInputStream());
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("nix-instantiate finished").isTrue();
      String stderr = new String(err.join(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        return new Result(null, stderr);
      }
      return new Result(JSON.readTree(out), null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      in.transferTo(buf);
      return buf.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Where {@code ours} (our reader's value as JSON) and {@code nix} (nix's JSON) differ, or empty
   * if they are equal. Attribute order is ignored (Nix sorts names); floats are compared as Nix 2.x
   * prints them, to six significant digits; everything else exactly.
   */
  static Optional<String> difference(JsonNode ours, JsonNode nix, String path) {
    if (ours.isFloatingPointNumber()) {
      if (!nix.isNumber()) {
        return Optional.of(path + ": ours " + ours + ", nix " + nix);
      }
      BigDecimal a = new BigDecimal(ours.doubleValue()).round(MathContext.DECIMAL32);
      // printf's %g, which Nix uses, rounds the exact binary value half to even (39811.25 ->
      // 39811.2).
      BigDecimal six =
          new BigDecimal(ours.doubleValue())
              .round(new MathContext(6, java.math.RoundingMode.HALF_EVEN));
      BigDecimal b = nix.decimalValue();
      boolean equal = six.compareTo(b) == 0 || a.compareTo(b) == 0;
      return equal ? Optional.empty() : Optional.of(path + ": ours " + ours + ", nix " + nix);
    }
    if (ours.isIntegralNumber()) {
      return nix.isIntegralNumber() && ours.bigIntegerValue().equals(nix.bigIntegerValue())
          ? Optional.empty()
          : Optional.of(path + ": ours " + ours + ", nix " + nix);
    }
    if (ours.isObject()) {
      if (!nix.isObject()) {
        return Optional.of(path + ": ours an object, nix " + nix.getNodeType());
      }
      TreeSet<String> a = new TreeSet<>();
      ours.fieldNames().forEachRemaining(a::add);
      TreeSet<String> b = new TreeSet<>();
      nix.fieldNames().forEachRemaining(b::add);
      if (!a.equals(b)) {
        return Optional.of(path + ": ours has names " + a + ", nix " + b);
      }
      for (Map.Entry<String, JsonNode> e : ours.properties()) {
        Optional<String> d = difference(e.getValue(), nix.get(e.getKey()), path + "." + e.getKey());
        if (d.isPresent()) {
          return d;
        }
      }
      return Optional.empty();
    }
    if (ours.isArray()) {
      if (!nix.isArray() || nix.size() != ours.size()) {
        return Optional.of(path + ": ours " + ours + ", nix " + nix);
      }
      for (int i = 0; i < ours.size(); i++) {
        Optional<String> d = difference(ours.get(i), nix.get(i), path + "[" + i + "]");
        if (d.isPresent()) {
          return d;
        }
      }
      return Optional.empty();
    }
    return ours.equals(nix)
        ? Optional.empty()
        : Optional.of(path + ": ours " + ours + ", nix " + nix);
  }
}

package io.fleet.testkit.internal;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.IntSupplier;

/**
 * The HTTP endpoints of one fake host: path to the status a GET of it answers. Health checks reach
 * them through the fake fleet's HTTP probe, never through a socket.
 */
public final class FakeHttp {
  private final Map<String, IntSupplier> endpoints = new TreeMap<>();

  /** Serves {@code path} with the status {@code status} computes at each request. */
  public synchronized void serve(String path, IntSupplier status) {
    endpoints.put(normalize(path), status);
  }

  /** The status of a GET of {@code path}, or empty when no endpoint has that path. */
  public synchronized Optional<Integer> status(String path) {
    IntSupplier s = endpoints.get(normalize(path));
    return s == null ? Optional.empty() : Optional.of(s.getAsInt());
  }

  /** The paths served, in order. */
  public synchronized java.util.Set<String> paths() {
    return new java.util.TreeSet<>(endpoints.keySet());
  }

  private static String normalize(String path) {
    if (path == null || path.isEmpty()) {
      return "/";
    }
    int q = path.indexOf('?');
    String p = q >= 0 ? path.substring(0, q) : path;
    return p.startsWith("/") ? p : "/" + p;
  }
}

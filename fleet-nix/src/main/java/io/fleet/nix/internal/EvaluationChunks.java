package io.fleet.nix.internal;

import java.util.ArrayList;
import java.util.List;

/** How a fleet's hosts are split among a pool of nix processes. */
public final class EvaluationChunks {
  private EvaluationChunks() {}

  /**
   * Splits {@code hosts} (in order) into chunks of at most {@code maxChunk} hosts, as many as
   * needed rounded up to a multiple of {@code workers} (so every worker gets the same share), and
   * of near-equal sizes.
   */
  public static List<List<String>> plan(List<String> hosts, int maxChunk, int workers) {
    int n = hosts.size();
    if (n == 0) {
      return List.of();
    }
    int chunks = ceilDiv(n, Math.max(1, maxChunk));
    if (chunks > 1) {
      chunks = ceilDiv(chunks, Math.max(1, workers)) * Math.max(1, workers);
    }
    chunks = Math.min(chunks, n);
    int size = ceilDiv(n, chunks);
    List<List<String>> out = new ArrayList<>();
    for (int i = 0; i < n; i += size) {
      out.add(List.copyOf(hosts.subList(i, Math.min(n, i + size))));
    }
    return out;
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}

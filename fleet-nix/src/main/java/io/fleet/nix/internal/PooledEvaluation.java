package io.fleet.nix.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.EvaluationException;
import io.fleet.api.Names;
import io.fleet.api.spi.BuildListener;
import io.fleet.nix.EvaluationListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One evaluation of a fleet configuration with {@code evaluate.nix}: a first {@code nix eval} for
 * the fleet-level data and the host names (and every host, for a fleet of at most a chunk), then
 * chunks of hosts in fresh {@code nix eval} processes on a bounded pool. A failed host is recorded
 * and the rest of its chunk evaluated again without it; a chunk whose process fails otherwise fails
 * all its hosts.
 */
public final class PooledEvaluation {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EVALUATE_NIX = loadResource("/io/fleet/nix/evaluate.nix");
  private static final Pattern EVALUATED_TRACE =
      Pattern.compile("trace: fleet-evaluated-host:(\\S+)(?: (.*))?");
  private static final Pattern COUNT_TRACE =
      Pattern.compile("trace: fleet-host-count:([0-9]{1,9})");

  private final Function<String, List<String>> evalCommand;
  private final int workers;
  private final int chunkSize;
  private final EvaluationListener listener;
  private final Delivery delivery;

  /**
   * Where results go as soon as a nix process gives them, before {@link #run} returns: the
   * fleet-level JSON once, then each process's hosts when it ends, and each failed host. Called
   * from the pool's threads; what it throws is ignored.
   */
  public interface Delivery {
    /** Delivers nothing. */
    Delivery NONE = new Delivery() {};

    /**
     * The fleet-level JSON (as {@link EvaluationResult#parse} reads it, without hosts) and the host
     * names in order; called once, before any other call.
     */
    default void fleetLevel(ObjectNode root, List<String> hostNames) {}

    /** Hosts one nix process evaluated (name to its JSON), as soon as that process has ended. */
    default void hosts(Map<String, JsonNode> hosts, List<String> command) {}

    /** A host that failed. */
    default void failed(String host, EvaluationException failure) {}
  }

  private long memoryLimit;

  /**
   * @param evalCommand the argv of {@code nix eval --json … --apply <expression>} for an expression
   */
  public PooledEvaluation(
      Function<String, List<String>> evalCommand,
      int workers,
      int chunkSize,
      EvaluationListener listener) {
    this(evalCommand, workers, chunkSize, listener, Delivery.NONE);
  }

  /** As the other constructor, delivering results to {@code delivery} as they come. */
  public PooledEvaluation(
      Function<String, List<String>> evalCommand,
      int workers,
      int chunkSize,
      EvaluationListener listener,
      Delivery delivery) {
    this.evalCommand = evalCommand;
    this.workers = workers;
    this.chunkSize = chunkSize;
    this.listener = listener;
    this.delivery = delivery;
  }

  /**
   * Kills a nix process whose resident memory passes {@code bytes} (0: no limit); its chunk is
   * split in halves, each evaluated in a fresh process, down to single hosts.
   */
  public PooledEvaluation memoryLimit(long bytes) {
    this.memoryLimit = bytes;
    return this;
  }

  /**
   * What the evaluation gave: the JSON {@link EvaluationResult#parse} reads (hosts that evaluated,
   * in host order), the host names in order and the failed hosts.
   */
  public record Outcome(
      ObjectNode root,
      List<String> hostNames,
      Map<String, EvaluationException> failures,
      List<String> command) {}

  /**
   * Runs the evaluation; {@code what} starts every failure's message.
   *
   * @throws EvaluationException if the fleet-level evaluation fails
   */
  public Outcome run(String what) {
    Progress progress = new Progress();
    Map<String, EvaluationException> failures = new ConcurrentHashMap<>();
    Eval first = eval("{ inlineUpTo = " + chunkSize + ";" + traceArg() + " }", what, progress);
    if (first.overLimit) {
      // Too big with its hosts inline: the fleet's data and names alone, then the hosts in chunks.
      first = eval("{ inlineUpTo = -1; }", what, progress);
    }
    if (first.failure != null && first.failedHost != null) {
      // One host failed inside the single process: record it, then evaluate the others apart.
      failures.put(first.failedHost, first.failure);
      progress.failed(first.failedHost, first.failure);
      first = eval("{ inlineUpTo = -1; }", what, progress);
    }
    if (first.failure != null) {
      throw first.failure;
    }
    ObjectNode root = first.json;
    List<String> names = new ArrayList<>();
    root.path("hostNames").forEach(n -> names.add(n.asText()));
    root.remove("hostNames");
    ObjectNode fleetLevel = JSON.createObjectNode();
    root.properties()
        .forEach(
            e -> {
              if (!e.getKey().equals("hosts")) {
                fleetLevel.set(e.getKey(), e.getValue());
              }
            });
    progress.fleetLevel(fleetLevel, List.copyOf(names));
    if (root.has("hosts")) {
      Map<String, JsonNode> inline = new java.util.LinkedHashMap<>();
      root.get("hosts").properties().forEach(e -> inline.put(e.getKey(), e.getValue()));
      progress.hosts(inline, first.command);
    } else {
      List<String> todo = new ArrayList<>(names);
      todo.removeAll(failures.keySet());
      ObjectNode hosts = root.putObject("hosts");
      Map<String, JsonNode> results = evaluateChunks(what, todo, failures, progress);
      for (String name : names) {
        if (results.containsKey(name)) {
          hosts.set(name, results.get(name));
        }
      }
    }
    return new Outcome(root, List.copyOf(names), Map.copyOf(failures), first.command);
  }

  /**
   * Evaluates {@code hosts} in chunks on a pool of nix processes; failures go to {@code failures}.
   */
  private Map<String, JsonNode> evaluateChunks(
      String what,
      List<String> hosts,
      Map<String, EvaluationException> failures,
      Progress progress) {
    List<List<String>> chunks = EvaluationChunks.plan(hosts, chunkSize, workers);
    Map<String, JsonNode> results = new ConcurrentHashMap<>();
    if (chunks.isEmpty()) {
      return results;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(workers, chunks.size()),
            r -> {
              Thread t = new Thread(r, "nix-eval-worker");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> running = new ArrayList<>();
      for (List<String> chunk : chunks) {
        running.add(pool.submit(() -> evaluateChunk(what, chunk, results, failures, progress)));
      }
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EvaluationException(
          "interrupted while evaluating " + hosts, List.of("nix", "eval"), e);
    } finally {
      pool.shutdownNow();
    }
    return results;
  }

  /**
   * One chunk in a fresh nix process; when a host of it fails, the rest of the chunk again in
   * another, until every host has a result or a failure.
   */
  private void evaluateChunk(
      String what,
      List<String> chunk,
      Map<String, JsonNode> results,
      Map<String, EvaluationException> failures,
      Progress progress) {
    List<String> remaining = new ArrayList<>(chunk);
    while (!remaining.isEmpty()) {
      ArrayNode list = JSON.createArrayNode();
      remaining.forEach(list::add);
      String args =
          "{ only = builtins.fromJSON " + nixString(list.toString()) + ";" + traceArg() + " }";
      Eval e = eval(args, what, progress);
      if (e.overLimit) {
        // Replace the process: keep every host it finished (traced as it went), and evaluate the
        // rest in a fresh one; only a process that finished none is split.
        Map<String, JsonNode> kept = new java.util.LinkedHashMap<>();
        for (String name : remaining) {
          String traced = e.traced.get(name);
          if (traced == null) {
            continue;
          }
          try {
            kept.put(name, JSON.readTree(traced));
          } catch (IOException ex) {
            // A line cut short by the kill: that host is evaluated again.
          }
        }
        if (kept.isEmpty()) {
          splitOverLimit(what, remaining, e, results, failures, progress);
          return;
        }
        results.putAll(kept);
        progress.hosts(kept, e.command);
        remaining.removeAll(kept.keySet());
        continue;
      }
      if (e.failure == null) {
        JsonNode hosts = e.json.path("hosts");
        Map<String, JsonNode> done = new java.util.LinkedHashMap<>();
        for (String name : remaining) {
          JsonNode h = hosts.get(name);
          if (h == null) {
            EvaluationException missing =
                new EvaluationException(
                    what + ": nix printed no result for host " + Names.quote(name),
                    e.command,
                    0,
                    e.text,
                    name);
            failures.put(name, missing);
            progress.failed(name, missing);
          } else {
            results.put(name, h);
            done.put(name, h);
          }
        }
        progress.hosts(done, e.command);
        return;
      }
      if (e.failedHost != null && remaining.contains(e.failedHost)) {
        failures.put(e.failedHost, e.failure);
        progress.failed(e.failedHost, e.failure);
        remaining.remove(e.failedHost);
        continue;
      }
      StringBuilder named = new StringBuilder();
      for (String name : remaining) {
        named.append(named.length() == 0 ? "" : ", ").append(Names.quote(name));
      }
      EvaluationException chunkFailure =
          NixErrors.failure(
              what + " failed in the nix process evaluating hosts " + named + e.where,
              e.command,
              e.exit,
              e.text,
              null);
      for (String name : remaining) {
        failures.put(name, chunkFailure);
        progress.failed(name, chunkFailure);
      }
      return;
    }
  }

  /**
   * A chunk whose process passed the memory limit: its halves again in fresh processes, until a
   * single host over the limit fails alone.
   */
  private void splitOverLimit(
      String what,
      List<String> chunk,
      Eval e,
      Map<String, JsonNode> results,
      Map<String, EvaluationException> failures,
      Progress progress) {
    if (chunk.size() > 1) {
      int half = chunk.size() / 2;
      evaluateChunk(what, List.copyOf(chunk.subList(0, half)), results, failures, progress);
      evaluateChunk(
          what, List.copyOf(chunk.subList(half, chunk.size())), results, failures, progress);
      return;
    }
    String host = chunk.get(0);
    EvaluationException alone =
        new EvaluationException(
            what
                + ": host "
                + Names.quote(host)
                + " alone needs more than the evaluation memory limit of "
                + mib(memoryLimit)
                + " in one nix process (it reached "
                + mib(e.peakRss)
                + " and was stopped): raise NixEvaluator.Builder.evaluationMemoryLimit, or find what"
                + " in this host's configuration makes its evaluation so large",
            e.command,
            e.exit,
            e.text,
            host);
    failures.put(host, alone);
    progress.failed(host, alone);
  }

  private static String mib(long bytes) {
    return (bytes + (1 << 20) - 1) / (1 << 20) + " MiB";
  }

  /** One {@code nix eval} of the fleet configuration with evaluate.nix called with {@code args}. */
  private Eval eval(String args, String what, Progress progress) {
    String apply = "(" + EVALUATE_NIX + "\n) " + args;
    List<String> cmd = evalCommand.apply(apply);
    NixLog log = new NixLog(BuildListener.NONE);
    Eval e = new Eval();
    NixProcess.Outcome out =
        NixProcess.run(
            cmd,
            null,
            line -> {
              Matcher m = EVALUATED_TRACE.matcher(line);
              Matcher count = COUNT_TRACE.matcher(line);
              if (m.matches()) {
                if (m.group(2) != null) {
                  e.traced.put(m.group(1), m.group(2));
                }
                progress.evaluated(m.group(1));
              } else if (count.matches()) {
                progress.total = Integer.parseInt(count.group(1));
              } else {
                log.accept(line);
              }
            },
            memoryLimit);
    e.command = cmd;
    e.exit = out.exitCode();
    e.text = log.text();
    e.peakRss = out.peakRssBytes();
    if (out.memoryLimitExceeded()) {
      e.overLimit = true;
      e.failure =
          new EvaluationException(
              what
                  + ": the nix process passed the evaluation memory limit of "
                  + mib(memoryLimit)
                  + " before it had evaluated the fleet's own data (assertions, shared secrets,"
                  + " host names), and was stopped: raise NixEvaluator.Builder.evaluationMemoryLimit",
              cmd,
              e.exit,
              e.text,
              null);
      return e;
    }
    if (out.exitCode() != 0) {
      e.failedHost = NixErrors.innermostHost(e.text);
      Matcher secret = NixErrors.SECRET_CONTEXT.matcher(e.text);
      e.where =
          e.failedHost != null
              ? " in host " + Names.quote(e.failedHost)
              : secret.find() ? " in shared secret " + Names.quote(secret.group(1)) : "";
      e.failure = NixErrors.failure(what + " failed" + e.where, cmd, e.exit, e.text, e.failedHost);
      return e;
    }
    try {
      JsonNode root = JSON.readTree(out.stdout());
      if (!(root instanceof ObjectNode o)) {
        throw new IOException("not an object");
      }
      e.json = o;
    } catch (IOException ex) {
      throw new EvaluationException(
          "nix eval printed something that is not JSON: " + ex.getMessage(), cmd, ex);
    }
    return e;
  }

  /** A JSON string as a Nix string literal. */
  static String nixString(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("${", "\\${") + "\"";
  }

  /** What one nix eval gave. */
  private static final class Eval {
    List<String> command;
    int exit;
    String text = "";
    ObjectNode json;
    EvaluationException failure;
    String failedHost;
    String where = "";
    boolean overLimit;
    long peakRss;

    /**
     * The JSON of each host the process traced as it finished it (with a memory limit), read only
     * when the process is stopped past the limit.
     */
    final Map<String, String> traced = new ConcurrentHashMap<>();
  }

  /** With a memory limit, each host's result is traced as it is done (see evaluate.nix). */
  private String traceArg() {
    return memoryLimit > 0 ? " traceResults = true;" : "";
  }

  /**
   * Counts hosts done and passes them on to the listener and the delivery (failures found before
   * the fleet-level part is delivered wait for it, as the delivery's contract says).
   */
  private final class Progress {
    private final Set<String> done = ConcurrentHashMap.newKeySet();
    private final List<Map.Entry<String, EvaluationException>> early = new ArrayList<>();
    private boolean fleetDelivered;
    volatile int total = -1;

    void fleetLevel(ObjectNode root, List<String> names) {
      try {
        delivery.fleetLevel(root, names);
      } catch (RuntimeException ignored) {
        // A delivery's failure is not the evaluation's.
      }
      List<Map.Entry<String, EvaluationException>> waiting;
      synchronized (this) {
        fleetDelivered = true;
        waiting = List.copyOf(early);
        early.clear();
      }
      waiting.forEach(f -> deliverFailure(f.getKey(), f.getValue()));
    }

    void hosts(Map<String, JsonNode> hosts, List<String> command) {
      if (hosts.isEmpty()) {
        return;
      }
      try {
        delivery.hosts(hosts, command);
      } catch (RuntimeException ignored) {
        // As above.
      }
    }

    private void deliverFailure(String host, EvaluationException failure) {
      try {
        delivery.failed(host, failure);
      } catch (RuntimeException ignored) {
        // As above.
      }
    }

    void evaluated(String host) {
      if (done.add(host)) {
        try {
          listener.hostEvaluated(host, done.size(), total);
        } catch (RuntimeException ignored) {
          // A listener's failure is not the evaluation's.
        }
      }
    }

    void failed(String host, EvaluationException failure) {
      try {
        listener.hostFailed(host, failure);
      } catch (RuntimeException ignored) {
        // As above.
      }
      synchronized (this) {
        if (!fleetDelivered) {
          early.add(Map.entry(host, failure));
          return;
        }
      }
      deliverFailure(host, failure);
    }
  }

  private static String loadResource(String name) {
    try (InputStream in = PooledEvaluation.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

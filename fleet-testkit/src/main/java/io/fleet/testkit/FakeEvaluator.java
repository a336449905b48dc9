package io.fleet.testkit;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.Names;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.api.spi.SystemDerivation;
import io.fleet.testkit.internal.FakeNar;
import io.fleet.testkit.internal.FakeRealisation;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link Evaluator} over a fake Nix store. Each host has numbered versions of its system; a
 * version's closure is a handful of base packages shared by every host plus three paths of its own
 * ({@code etc}, {@code units}, the system), with small NAR sizes. Hosts of a {@link FakeFleet}
 * start on version 1; {@link #build} returns each host's current version (2 unless {@link
 * #bumpSystem} was called), so a deployment copies that host's three new paths. {@link #export}
 * writes the format fake hosts' {@code nix-store --import} reads.
 */
public final class FakeEvaluator implements Evaluator {
  private static final String BASE32 = "0123456789abcdfghijklmnpqrsvwxyz";
  private static final String[][] BASE = {
    {"glibc-2.40", "16384"},
    {"bash-5.2p37", "8192"},
    {"coreutils-9.5", "12288"},
    {"systemd-256.8", "24576"},
    {"nix-2.24.10", "20480"},
  };

  private final Fleet fleet;
  private final Map<String, StorePathInfo> universe = new ConcurrentHashMap<>();
  private final Map<String, Integer> versions = new ConcurrentHashMap<>();
  private final List<String> basePaths = new ArrayList<>();
  private final Map<String, String> systems = new ConcurrentHashMap<>();
  private final List<String> builds = new ArrayList<>();
  private final Map<String, String> outputOf = new ConcurrentHashMap<>();
  private final List<String> derivationRequests = new ArrayList<>();

  /** An evaluator for {@code fleet}: {@link #evaluate} returns it. */
  public FakeEvaluator(Fleet fleet) {
    this.fleet = fleet;
    String glibc = storePath(BASE[0][0]);
    for (String[] b : BASE) {
      String p = storePath(b[0]);
      basePaths.add(p);
      Set<String> refs = new HashSet<>();
      refs.add(p.equals(glibc) ? p : glibc);
      universe.put(
          p,
          StorePathInfo.builder().path(p).narSize(Long.parseLong(b[1])).references(refs).build());
    }
  }

  /** The fleet this evaluator evaluates to. */
  public Fleet fleet() {
    return fleet;
  }

  /** A syntactically valid store path for {@code name}, with a hash derived from the name. */
  public static String storePath(String name) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      StringBuilder h = new StringBuilder();
      for (int i = 0; i < 32; i++) {
        h.append(BASE32.charAt((d[i] & 0xff) % 32));
      }
      StringBuilder safe = new StringBuilder();
      for (char c : name.toCharArray()) {
        safe.append(Character.isLetterOrDigit(c) && c < 128 || "+-._?=".indexOf(c) >= 0 ? c : '_');
      }
      return "/nix/store/" + h + "-" + safe;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The system path of version {@code version} of {@code host}'s system (made on first use). */
  public String systemPath(String host, int version) {
    String tag = host + "-" + version;
    String known = systems.get(tag);
    if (known != null) {
      return known;
    }
    String system = storePath("nixos-system-" + tag);
    String etc = storePath("etc-" + tag);
    String units = storePath("system-units-" + tag);
    Set<String> etcRefs = new HashSet<>(basePaths.subList(0, 3));
    put(etc, 2048 + host.length(), etcRefs);
    Set<String> unitRefs = new HashSet<>(basePaths);
    put(units, 4096, unitRefs);
    Set<String> sysRefs = new HashSet<>(basePaths);
    sysRefs.add(etc);
    sysRefs.add(units);
    put(system, 1024, sysRefs);
    systems.put(tag, system);
    return system;
  }

  private void put(String path, long size, Set<String> refs) {
    universe.put(path, StorePathInfo.builder().path(path).narSize(size).references(refs).build());
  }

  /** The version {@link #build} returns for {@code host}: 2 unless bumped. */
  public int version(String host) {
    return versions.getOrDefault(host, 2);
  }

  /** Makes {@code host}'s next build a new version; returns its system path. */
  public String bumpSystem(String host) {
    int v = versions.merge(host, 3, (a, b) -> a + 1);
    return systemPath(host, v);
  }

  /** Adds a path to the fake store (for tests of unusual closures). */
  public void addPath(StorePathInfo info) {
    universe.put(info.path(), info);
  }

  /** The hosts built so far, one entry per {@link #build} call, for verification. */
  public synchronized List<String> builds() {
    return List.copyOf(builds);
  }

  /** Returns the fleet given to the constructor, whatever the arguments. */
  @Override
  public Fleet evaluate(String flakeRef, String configuration) {
    return fleet;
  }

  @Override
  public Map<String, String> build(Fleet fleet, Collection<String> hosts, BuildListener listener) {
    Map<String, String> out = new LinkedHashMap<>();
    long done = 0;
    for (String h : hosts) {
      if (!fleet.hosts().containsKey(h)) {
        throw new EvaluationException(
            "fake build: fleet has no host " + Names.quote(h),
            List.of("fake-nix", "build"),
            1,
            "",
            h);
      }
      out.put(h, systemPath(h, version(h)));
      listener.progress(++done, hosts.size(), "built " + h);
    }
    synchronized (this) {
      builds.add(String.join(",", hosts));
    }
    return out;
  }

  @Override
  public List<StorePathInfo> closure(Collection<String> storePaths) {
    Set<String> seen = new HashSet<>();
    List<StorePathInfo> out = new ArrayList<>();
    for (String p : storePaths) {
      visit(p, seen, out);
    }
    return out;
  }

  /** Depth-first, references before referrers. */
  private void visit(String p, Set<String> seen, List<StorePathInfo> out) {
    if (!seen.add(p)) {
      return;
    }
    StorePathInfo info = universe.get(p);
    if (info == null) {
      throw new EvaluationException(
          "path " + Names.quote(p) + " is not in the fake store",
          List.of("fake-nix", "path-info"),
          1,
          "",
          null);
    }
    for (String r : info.references()) {
      visit(r, seen, out);
    }
    out.add(info);
  }

  @Override
  public void export(Collection<String> storePaths, OutputStream out) {
    Set<String> wanted = new HashSet<>(storePaths);
    try {
      for (StorePathInfo i : closure(storePaths)) {
        if (wanted.contains(i.path())) {
          FakeNar.write(
              out, new FakeNar.Entry(i.path(), i.narSize(), new ArrayList<>(i.references())));
        }
      }
      FakeNar.end(out);
      out.flush();
    } catch (IOException e) {
      throw new EvaluationException(
          "fake export stopped: " + e.getMessage(), List.of("fake-nix", "export"), e);
    }
  }

  /**
   * The derivation of version {@code version} of {@code host}'s system (made on first use, with its
   * output {@link #systemPath}). Its closure, as {@link #derivationClosure} gives it, is the {@code
   * .drv} files of the system, its {@code etc} and {@code units}, the base packages' derivations
   * (shared by every host) and one builder script source; a fake host that realises it "builds" the
   * output closure it lacks.
   */
  public String derivationPath(String host, int version) {
    String out = systemPath(host, version);
    String tag = host + "-" + version;
    String drv = storePath("nixos-system-" + tag + ".drv");
    if (outputOf.containsKey(drv)) {
      return drv;
    }
    String builder = storePath("fake-builder.sh");
    put(builder, 512, Set.of());
    List<String> baseDrvs = new ArrayList<>();
    for (int i = 0; i < BASE.length; i++) {
      String d = storePath(BASE[i][0] + ".drv");
      put(d, 1536, Set.of(builder));
      outputOf.put(d, basePaths.get(i));
      baseDrvs.add(d);
    }
    String etc = storePath("etc-" + tag + ".drv");
    Set<String> etcRefs = new HashSet<>(baseDrvs.subList(0, 3));
    etcRefs.add(builder);
    put(etc, 1024, etcRefs);
    outputOf.put(etc, storePath("etc-" + tag));
    String units = storePath("system-units-" + tag + ".drv");
    Set<String> unitRefs = new HashSet<>(baseDrvs);
    unitRefs.add(builder);
    put(units, 1024, unitRefs);
    outputOf.put(units, storePath("system-units-" + tag));
    Set<String> sysRefs = new HashSet<>(baseDrvs);
    sysRefs.add(etc);
    sysRefs.add(units);
    sysRefs.add(builder);
    put(drv, 2048, sysRefs);
    outputOf.put(drv, out);
    return drv;
  }

  /**
   * The derivation of each host's current version ({@link #version}): what {@link #build} would
   * build, evaluated only.
   */
  @Override
  public Map<String, SystemDerivation> derivations(Fleet fleet, Collection<String> hosts) {
    Map<String, SystemDerivation> out = new LinkedHashMap<>();
    for (String h : hosts) {
      if (!fleet.hosts().containsKey(h)) {
        throw new EvaluationException(
            "fake evaluation: fleet has no host " + Names.quote(h),
            List.of("fake-nix", "eval"),
            1,
            "",
            h);
      }
      int v = version(h);
      out.put(h, SystemDerivation.of(derivationPath(h, v), systemPath(h, v)));
    }
    synchronized (this) {
      derivationRequests.add(String.join(",", hosts));
    }
    return out;
  }

  /** The hosts whose derivations were asked for, one entry per {@link #derivations} call. */
  public synchronized List<String> derivationRequests() {
    return List.copyOf(derivationRequests);
  }

  /** What a fake host needs to realise {@code drv}, if this evaluator made it. */
  Optional<FakeRealisation.Derivation> derivation(String drv) {
    String out = outputOf.get(drv);
    if (out == null) {
      return Optional.empty();
    }
    return Optional.of(
        new FakeRealisation.Derivation(drv, out, closure(List.of(drv)), closure(List.of(out))));
  }

  /** What this is: the fleet it fakes and how many builds it made. */
  @Override
  public synchronized String toString() {
    return "FakeEvaluator{fleet "
        + io.fleet.api.Names.quote(fleet.name())
        + ", "
        + fleet.hosts().size()
        + " hosts, "
        + builds.size()
        + " builds}";
  }
}

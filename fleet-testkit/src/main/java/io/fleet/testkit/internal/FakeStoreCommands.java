package io.fleet.testkit.internal;

import io.fleet.api.TransportException;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.StorePathInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * A fake host's Nix store commands, for {@link FakeHostProtocol}: substitution from its cache,
 * {@code nix-store --import} of the fake evaluator's or a real {@code nix-store --export} stream
 * (plain or zstd-compressed), checking references and free space as Nix does, and the build of a
 * derivation on the host. Not thread-safe: guarded by the owning {@code FakeHost}'s lock.
 */
final class FakeStoreCommands {
  private final String name;
  private final FakeHostState state;

  FakeStoreCommands(String name, FakeHostState state) {
    this.name = name;
    this.state = state;
  }

  /** Substitutes what the cache has of {@code paths}; prints what is still missing. */
  String substitute(List<String> paths) {
    StringBuilder sb = new StringBuilder();
    for (String p : paths) {
      if (!state.store.containsKey(p) && state.substitutable.contains(p)) {
        state.store.put(p, StorePathInfo.builder().path(p).narSize(0).build());
      }
    }
    appendMissing(sb, paths);
    return sb.toString();
  }

  /** Appends {@code missing=<path>} for each of {@code paths} that is not in the store. */
  void appendMissing(StringBuilder sb, List<String> paths) {
    for (String p : paths) {
      if (!state.store.containsKey(p)) {
        sb.append("missing=").append(p).append('\n');
      }
    }
  }

  /** The failed import of {@code e} on a full disk, after the paths {@code imported}. */
  private static CommandResult noSpace(
      OutputStream stdout, StringBuilder imported, FakeNar.Entry e) {
    return FakeHostProtocol.out(
        stdout,
        1,
        imported.toString(),
        "error: writing to file: No space left on device while importing " + e.path + "\n");
  }

  /** {@code nix-store --import} of {@code raw} (after {@code zstd -d} if {@code compressed}). */
  CommandResult importPaths(InputStream raw, OutputStream stdout, boolean compressed) {
    if (compressed && !state.zstd) {
      return FakeHostProtocol.out(stdout, 127, "", "sh: 1: zstd: not found\n");
    }
    Counting counted = new Counting(raw);
    try {
      return importPaths(
          compressed ? new com.github.luben.zstd.ZstdInputStream(counted) : counted, stdout);
    } catch (IOException e) {
      return FakeHostProtocol.out(
          stdout, 1, "", "fleet: zstd -d failed (exit 1): " + e.getMessage() + "\n");
    } finally {
      state.importBytesReceived += counted.count;
    }
  }

  /** Counts what an import reads. */
  private static final class Counting extends java.io.FilterInputStream {
    long count;

    Counting(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }

  private CommandResult importPaths(InputStream in, OutputStream stdout) {
    StringBuilder imported = new StringBuilder();
    boolean diskFull = state.diskFullOnCopy;
    state.diskFullOnCopy = false;
    int count = 0;
    try {
      ImportStream stream = ImportStream.open(in);
      FakeNar.Entry e;
      while ((e = stream.next()) != null) {
        if (diskFull && count >= 1) {
          return noSpace(stdout, imported, e);
        }
        for (String r : e.references) {
          if (!r.equals(e.path) && !state.store.containsKey(r)) {
            return FakeHostProtocol.out(
                stdout,
                1,
                imported.toString(),
                "error: cannot add path '"
                    + e.path
                    + "' because it lacks a signature or references '"
                    + r
                    + "', which is not valid\n");
          }
        }
        if (e.size > state.freeBytes) {
          return noSpace(stdout, imported, e);
        }
        stream.skipBody(e);
        if (!state.store.containsKey(e.path)) {
          state.freeBytes -= e.size;
          state.store.put(
              e.path,
              StorePathInfo.builder()
                  .path(e.path)
                  .narSize(e.size)
                  .addAllReferences(e.references)
                  .build());
        }
        imported.append(e.path).append('\n');
        if (stdout != null) {
          FakeHostProtocol.write(stdout, (e.path + "\n").getBytes(StandardCharsets.UTF_8));
        }
        count++;
      }
    } catch (com.github.luben.zstd.ZstdIOException ex) {
      return FakeHostProtocol.out(
          stdout,
          1,
          stdout != null ? "" : imported.toString(),
          "fleet: zstd -d failed (exit 1): the compressed stream is damaged: "
              + ex.getMessage()
              + "\n");
    } catch (IOException ex) {
      throw new TransportException(
          name, TransportException.Reason.CONNECTION_LOST, "import stream broke: " + ex, ex);
    } catch (RuntimeException ex) {
      return FakeHostProtocol.out(null, 1, "", "error: " + ex.getMessage() + "\n");
    }
    return stdout != null
        ? new CommandResult(0, new byte[0], new byte[0])
        : CommandResult.of(0, imported.toString(), "");
  }

  /** {@code nix-store --realise} of {@code drv} on the host. */
  CommandResult realise(String drv) {
    Optional<String> failure = Optional.ofNullable(state.buildFailure);
    state.buildFailure = null;
    FakeRealisation.Result r =
        FakeRealisation.realise(
            drv, state.derivations, state.store::containsKey, state.freeBytes, failure);
    for (StorePathInfo p : r.built) {
      state.store.put(p.path(), p);
      state.freeBytes -= p.narSize();
      state.built.add(p.path());
    }
    return FakeHostProtocol.out(null, r.exit, r.stdout, "");
  }
}

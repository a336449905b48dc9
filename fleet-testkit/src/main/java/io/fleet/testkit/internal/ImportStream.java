package io.fleet.testkit.internal;

import io.fleet.api.FleetException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * What a fake host's {@code nix-store --import} reads: either the fake evaluator's {@link FakeNar}
 * stream or a real {@code nix-store --export} stream ({@link NixExport}), told apart by their first
 * bytes, so a system built by the real nix can be deployed to fake hosts.
 */
public final class ImportStream {
  private static final byte[] FAKE = "fake-nar".getBytes(StandardCharsets.US_ASCII);

  private final InputStream in;
  private final NixExport nix;

  private ImportStream(InputStream in, NixExport nix) {
    this.in = in;
    this.nix = nix;
  }

  /**
   * Reads the start of {@code raw} to tell which stream it is.
   *
   * @throws FleetException if it is neither (the message shows its first bytes, printable)
   */
  public static ImportStream open(InputStream raw) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 65536);
    in.mark(16);
    byte[] first = new byte[8];
    int n = 0;
    while (n < first.length) {
      int r = in.read(first, n, first.length - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    in.reset();
    if (NixExport.looksLikeExport(first, n)) {
      return new ImportStream(in, new NixExport(in));
    }
    if (n == 0 || startsWith(first, n, FAKE)) {
      return new ImportStream(in, null);
    }
    throw new FleetException(
        "the import stream is neither a nix-store --export stream nor a fake-nar stream: it starts"
            + " with "
            + Printable.of(first, n));
  }

  private static boolean startsWith(byte[] b, int n, byte[] prefix) {
    if (n < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** The next path, or null after the last one. */
  public FakeNar.Entry next() throws IOException {
    return nix != null ? nix.next() : FakeNar.readHeader(in);
  }

  /** Skips the body of {@code e} when it follows the header (fake-nar); a NAR is already read. */
  public void skipBody(FakeNar.Entry e) throws IOException {
    if (nix == null) {
      FakeNar.skipBody(in, e);
    }
  }
}

package io.fleet.testkit.internal;

import io.fleet.api.FleetException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the stream {@code nix-store --export} writes, as a fake host's {@code nix-store --import}
 * does: for each path a 64-bit 1, the path's NAR, the export magic {@code NIXE}, the path, its
 * references, its deriver and a 0 (no signature); after the last path a 64-bit 0. Numbers are
 * little-endian 64-bit; strings are a length and bytes padded with zeros to a multiple of 8.
 *
 * <p>The NAR is parsed (so a truncated or corrupt archive is caught) but not kept: the fake store
 * records each path with its NAR size and references. Errors describe the bytes found in printable
 * form, never as raw binary.
 */
public final class NixExport {
  /** {@code nix-store --export}'s marker after each NAR: "NIXE" little-endian. */
  static final long EXPORT_MAGIC = 0x4558494eL;

  private static final int MAX_STRING = 1 << 20;

  private final CountingInput in;

  /** A reader of the stream {@code in}. */
  public NixExport(InputStream in) {
    this.in = new CountingInput(in);
  }

  /** Whether {@code first} (the stream's first bytes) start a {@code nix-store --export}. */
  public static boolean looksLikeExport(byte[] first, int n) {
    // A path follows (1) or the stream is empty (0): a 64-bit little-endian 0 or 1.
    if (n < 8 || (first[0] != 0 && first[0] != 1)) {
      return false;
    }
    for (int i = 1; i < 8; i++) {
      if (first[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The next path (its NAR read and checked), or null after the last one.
   *
   * @throws FleetException if the stream is not a valid export (the message says where and what)
   * @throws IOException if reading fails
   */
  public FakeNar.Entry next() throws IOException {
    long more = readLong("the start of a path");
    if (more == 0) {
      return null;
    }
    if (more != 1) {
      throw bad("expected 0 or 1 before a path, found " + more);
    }
    long start = in.count;
    String magic = readString("the NAR header");
    if (!magic.equals("nix-archive-1")) {
      throw bad("expected a NAR (nix-archive-1), found " + Printable.of(magic));
    }
    node();
    long narSize = in.count - start;
    long m = readLong("the export marker");
    if (m != EXPORT_MAGIC) {
      throw bad("expected the export marker NIXE after the NAR, found 0x" + Long.toHexString(m));
    }
    String path = readString("the store path");
    if (!path.startsWith("/nix/store/")) {
      throw bad("expected a store path after the NAR, found " + Printable.of(path));
    }
    long refs = readLong("the reference count");
    if (refs < 0 || refs > 100_000) {
      throw bad(path + " claims " + refs + " references");
    }
    List<String> references = new ArrayList<>();
    for (long i = 0; i < refs; i++) {
      references.add(readString("a reference of " + path));
    }
    readString("the deriver of " + path);
    long signature = readLong("the signature flag of " + path);
    if (signature != 0) {
      throw bad(path + " carries a legacy signature, which fake hosts do not check");
    }
    return new FakeNar.Entry(path, narSize, references);
  }

  /** One NAR node, from its "(" to its ")". */
  private void node() throws IOException {
    expect("(");
    expect("type");
    String type = readString("a NAR node type");
    switch (type) {
      case "regular":
        String next = readString("a regular file's contents");
        if (next.equals("executable")) {
          expect("");
          next = readString("a regular file's contents");
        }
        if (!next.equals("contents")) {
          throw bad("expected 'contents' in a regular file, found " + Printable.of(next));
        }
        skipString("a file's contents");
        expect(")");
        return;
      case "symlink":
        expect("target");
        readString("a symlink's target");
        expect(")");
        return;
      case "directory":
        while (true) {
          String tag = readString("a directory entry");
          if (tag.equals(")")) {
            return;
          }
          if (!tag.equals("entry")) {
            throw bad("expected 'entry' or ')' in a directory, found " + Printable.of(tag));
          }
          expect("(");
          expect("name");
          String name = readString("an entry name");
          if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw bad("invalid NAR entry name " + Printable.of(name));
          }
          expect("node");
          node();
          expect(")");
        }
      default:
        throw bad("unknown NAR node type " + Printable.of(type));
    }
  }

  private void expect(String token) throws IOException {
    String s = readString("'" + token + "'");
    if (!s.equals(token)) {
      throw bad("expected '" + token + "' in the NAR, found " + Printable.of(s));
    }
  }

  private long readLong(String what) throws IOException {
    byte[] b = new byte[8];
    in.readFully(b, what);
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[i] & 0xff);
    }
    return v;
  }

  private String readString(String what) throws IOException {
    long len = readLong(what);
    if (len < 0 || len > MAX_STRING) {
      throw bad("a string of " + len + " bytes where " + what + " was expected");
    }
    byte[] b = new byte[(int) len];
    in.readFully(b, what);
    skipPadding(len, what);
    return new String(b, StandardCharsets.UTF_8);
  }

  private void skipString(String what) throws IOException {
    long len = readLong(what);
    if (len < 0) {
      throw bad("a negative length where " + what + " was expected");
    }
    in.skipFully(len, what);
    skipPadding(len, what);
  }

  private void skipPadding(long len, String what) throws IOException {
    int pad = (int) ((8 - len % 8) % 8);
    byte[] b = new byte[pad];
    in.readFully(b, what);
    for (byte x : b) {
      if (x != 0) {
        throw bad("non-zero padding after " + what);
      }
    }
  }

  private FleetException bad(String what) {
    return new FleetException(
        "not a valid nix-store --export stream at byte " + in.count + ": " + what);
  }

  /** Counts the bytes read, for NAR sizes and error offsets. */
  private final class CountingInput {
    private final InputStream in;
    private final byte[] skip = new byte[8192];
    long count;

    CountingInput(InputStream in) {
      this.in = in;
    }

    void readFully(byte[] b, String what) throws IOException {
      int off = 0;
      while (off < b.length) {
        int r = in.read(b, off, b.length - off);
        if (r < 0) {
          throw new EOFException(
              "nix-store --export stream ended at byte " + (count + off) + " inside " + what);
        }
        off += r;
      }
      count += b.length;
    }

    void skipFully(long n, String what) throws IOException {
      long left = n;
      while (left > 0) {
        int r = in.read(skip, 0, (int) Math.min(skip.length, left));
        if (r < 0) {
          throw new EOFException(
              "nix-store --export stream ended at byte " + (count + n - left) + " inside " + what);
        }
        left -= r;
      }
      count += n;
    }
  }
}

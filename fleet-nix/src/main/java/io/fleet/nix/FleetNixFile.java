package io.fleet.nix;

import io.fleet.api.FleetConfigException;
import io.fleet.api.data.FileFleetDataStore;
import io.fleet.api.data.FleetData;
import io.fleet.nix.internal.FleetNixCodec;
import io.fleet.nix.internal.NixValue;
import io.fleet.nix.internal.NixValueParser;
import io.fleet.nix.internal.NixValueWriter;
import java.nio.file.Path;

/**
 * The original fleet's state file, {@code fleet.nix} (data version 0.1.0), read and written so that
 * an existing fleet repository works unchanged.
 *
 * <p>Static use: {@link #parse(String)} reads the text, {@link #format(FleetData)} writes it in the
 * original's layout (header comment, fields in the original's order, sorted names, a set with one
 * attribute as an attribute path, encrypted parts as indented strings of 64-column base64 lines,
 * the trailing vim modeline).
 *
 * <p>As a {@link io.fleet.api.data.FleetDataStore} ({@link #at(Path)}): saves are atomic and refuse
 * to overwrite a file that changed on disk since it was loaded (see {@link FileFleetDataStore}),
 * and a save after a load writes every part that did not change in the layout the file had, so a
 * load followed by a save of the same data leaves the file byte for byte as it was. Unknown fields
 * (top level, hosts, secrets) and {@code managerKeys} are kept. Comments other than the header and
 * modeline are not kept.
 *
 * <p>The reader accepts the data subset of Nix (attribute sets, attribute paths, lists, strings,
 * numbers, booleans, null, comments); anything else, a duplicate attribute, another data version or
 * an unknown part encoding gives a {@link FleetConfigException} with line and column.
 */
public class FleetNixFile extends FileFleetDataStore {
  private static final String DEFAULT_SOURCE = "fleet.nix";

  /** The value read by the last load, whose layout the next save keeps; null before a load. */
  private NixValue layout;

  /** A store for the file at {@code path}; use {@link #at(Path)}. */
  protected FleetNixFile(Path path) {
    super(path);
  }

  /** A store for the {@code fleet.nix} at {@code path} (which need not exist yet). */
  public static FleetNixFile at(Path path) {
    return new FleetNixFile(path);
  }

  /**
   * Reads the text of a {@code fleet.nix}.
   *
   * @throws FleetConfigException if the text is malformed, with its line and column
   */
  public static FleetData parse(String text) {
    return parse(text, DEFAULT_SOURCE);
  }

  /**
   * Reads the text of a {@code fleet.nix}; {@code source} names it in error messages.
   *
   * @throws FleetConfigException if the text is malformed, with its line and column
   */
  public static FleetData parse(String text, String source) {
    NixValue value = NixValueParser.parse(text, source);
    return FleetNixCodec.toFleetData(value, text, source);
  }

  /**
   * The text of a {@code fleet.nix} holding {@code data}, in the original's layout.
   *
   * @throws FleetConfigException if {@code data} cannot be written (another data version, a name
   *     that clashes with a field of the file, a NUL character, a NaN)
   */
  public static String format(FleetData data) {
    return NixValueWriter.writeFile(FleetNixCodec.toNix(data, null), null);
  }

  @Override
  protected FleetData decode(String text) {
    String source = path().toString();
    NixValue value = NixValueParser.parse(text, source);
    FleetData data = FleetNixCodec.toFleetData(value, text, source);
    layout = value;
    return data;
  }

  @Override
  protected String encode(FleetData data) {
    return NixValueWriter.writeFile(FleetNixCodec.toNix(data, layout), layout);
  }
}

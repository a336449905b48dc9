package io.fleet.nix.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A value of the data subset of the Nix language that {@code fleet.nix} uses: attribute sets,
 * lists, strings, integers, floats, booleans and {@code null}.
 *
 * <p>Values read by {@link NixValueParser} remember their offset in the text (for error positions)
 * and how they were laid out ({@link Layout}), so that {@link NixValueWriter} can write an
 * unchanged part of a file the way it was. Values built for writing have no offset ({@code -1}) and
 * no layout ({@code null}), which means "choose the default".
 */
public abstract class NixValue {
  private final int offset;

  NixValue(int offset) {
    this.offset = offset;
  }

  /** The offset of the value's first character in the text it was read from, or -1. */
  public int offset() {
    return offset;
  }

  /** A short description of the kind of value, for error messages ("a string", "a list"). */
  public abstract String describe();

  /** How an attribute set or list was written. */
  public enum Layout {
    /** Only introduced by attribute paths ({@code a.b = 1;}); never written as {@code { … }}. */
    IMPLICIT,
    /** On one line: {@code { a = 1; b = 2; }} or {@code [ 1 2 ]}. */
    INLINE,
    /** One element per line, indented by two spaces per level. */
    BLOCK,
    /**
     * The unformatted layout of the original's writer: {@code {a = 1;\nb = 2;\n}}, no indentation.
     */
    RAW
  }

  /** How a string was written. */
  public enum StringStyle {
    /** {@code "…"} with backslash escapes. */
    QUOTED,
    /** {@code ''…''} with its indentation stripped. */
    INDENTED
  }

  /** An attribute set; its entries keep the order in which they were written or added. */
  public static final class Attrs extends NixValue {
    private final LinkedHashMap<String, NixValue> entries = new LinkedHashMap<>();
    private final Map<String, Integer> keyOffsets;
    private Layout layout;
    private final boolean structural;

    /** An attribute set read from text at {@code offset}. */
    Attrs(int offset, Layout layout) {
      super(offset);
      this.layout = layout;
      this.structural = false;
      this.keyOffsets = new LinkedHashMap<>();
    }

    /**
     * An attribute set to be written. A structural set (the file itself, hosts, secrets) is written
     * one attribute per line; a data set (generation data, unknown fields) on one line if it fits.
     */
    public Attrs(boolean structural) {
      super(-1);
      this.layout = null;
      this.structural = structural;
      this.keyOffsets = Map.of();
    }

    /** The entries. */
    public Map<String, NixValue> entries() {
      return entries;
    }

    /** The entry {@code key}, or null. */
    public NixValue get(String key) {
      return entries.get(key);
    }

    /** Adds an entry (for values built for writing). */
    public Attrs put(String key, NixValue value) {
      entries.put(key, value);
      return this;
    }

    /** The offset where attribute {@code key} was first defined, or -1. */
    public int keyOffset(String key) {
      Integer o = keyOffsets.get(key);
      return o == null ? -1 : o;
    }

    void putRead(String key, int keyOffset, NixValue value) {
      entries.put(key, value);
      keyOffsets.put(key, keyOffset);
    }

    /** How the set was written, or null for a set built for writing. */
    public Layout layout() {
      return layout;
    }

    void layout(Layout layout) {
      this.layout = layout;
    }

    /** Whether the set is structural (see {@link #Attrs(boolean)}). */
    public boolean structural() {
      return structural;
    }

    @Override
    public String describe() {
      return "an attribute set";
    }
  }

  /** A list. */
  public static final class ListValue extends NixValue {
    private final List<NixValue> items = new ArrayList<>();
    private final Layout layout;

    ListValue(int offset, Layout layout) {
      super(offset);
      this.layout = layout;
    }

    /** A list to be written. */
    public ListValue() {
      this(-1, null);
    }

    /** The items. */
    public List<NixValue> items() {
      return items;
    }

    /** Adds an item. */
    public ListValue add(NixValue item) {
      items.add(item);
      return this;
    }

    /** How the list was written, or null. */
    public Layout layout() {
      return layout;
    }

    @Override
    public String describe() {
      return "a list";
    }
  }

  /** A string. */
  public static final class Str extends NixValue {
    private final String value;
    private final StringStyle style;

    Str(int offset, String value, StringStyle style) {
      super(offset);
      this.value = value;
      this.style = style;
    }

    /** A string to be written, in {@code style} where it can be written so. */
    public Str(String value, StringStyle style) {
      this(-1, value, style);
    }

    /** The string. */
    public String value() {
      return value;
    }

    /** How it was (or is preferably) written. */
    public StringStyle style() {
      return style;
    }

    @Override
    public String describe() {
      return "a string";
    }
  }

  /** A 64-bit integer. */
  public static final class Int extends NixValue {
    private final long value;

    Int(int offset, long value) {
      super(offset);
      this.value = value;
    }

    /** An integer to be written. */
    public Int(long value) {
      this(-1, value);
    }

    /** The value. */
    public long value() {
      return value;
    }

    @Override
    public String describe() {
      return "an integer";
    }
  }

  /** A float. */
  public static final class Float extends NixValue {
    private final double value;

    Float(int offset, double value) {
      super(offset);
      this.value = value;
    }

    /** A float to be written. */
    public Float(double value) {
      this(-1, value);
    }

    /** The value. */
    public double value() {
      return value;
    }

    @Override
    public String describe() {
      return "a float";
    }
  }

  /** {@code true} or {@code false}. */
  public static final class Bool extends NixValue {
    private final boolean value;

    Bool(int offset, boolean value) {
      super(offset);
      this.value = value;
    }

    /** A boolean to be written. */
    public Bool(boolean value) {
      this(-1, value);
    }

    /** The value. */
    public boolean value() {
      return value;
    }

    @Override
    public String describe() {
      return value ? "true" : "false";
    }
  }

  /** {@code null}. */
  public static final class Null extends NixValue {
    Null(int offset) {
      super(offset);
    }

    /** A null to be written. */
    public Null() {
      this(-1);
    }

    @Override
    public String describe() {
      return "null";
    }
  }
}

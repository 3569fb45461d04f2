// A <select multiple>'s recorded value names each chosen option: their values, in the options' order, joined
// by commas (docs/protocol.md, "Select fields"). rrweb's Replayer sets a recorded value as the field's value,
// which chooses one option at most: the replay showed only the first of the visitor's choices. A select's
// options refilled by a script come with its value after them, as a `value` attribute of the DOM change.

const MASKED = /^\*+$/;

/**
 * Chooses the options of `select` that `text` names. The values are read in the options' order, each from
 * where the one before ended (a value may hold a comma). A masked value (every part *) cannot name options: it
 * chooses the player's mask option of its first part's length (masked.js), as a plain select's masked value
 * does.
 */
export function chooseOptions(select, text) {
  if (text && text.split(',').every((part) => MASKED.test(part))) {
    select.value = text.split(',')[0];
    return;
  }
  let rest = text;
  for (const option of select.options) {
    const value = option.value;
    const named = rest !== '' && (rest === value || rest.startsWith(value + ','));
    option.selected = named;
    if (named) rest = rest.slice(value.length + 1);
  }
}

/**
 * Replayers of `Replayer` (the player's and a test's fresh one alike) replay a multiple select's value so, and
 * take a select's `value` in a DOM change (written after a script refilled its options) as its value then:
 * in play, at once; in a seek, as the select's last input, which rrweb applies after the DOM it built.
 */
export function selectsReplayed(Replayer) {
  const proto = Replayer.prototype;
  if (proto.hspSelects) return;
  const { applyInput, applyMutation } = proto;
  proto.applyInput = function (d) {
    const el = this.mirror.getNode(d.id);
    if (el && el.type === 'select-multiple' && typeof d.text === 'string') chooseOptions(el, d.text);
    else applyInput.call(this, d);
  };
  proto.applyMutation = function (d, isSync) {
    applyMutation.call(this, d, isSync);
    for (const change of d.attributes || []) {
      const text = change && change.attributes && change.attributes.value;
      const el = typeof text === 'string' && (this.usingVirtualDom ? this.virtualDom : this).mirror.getNode(change.id);
      if (!el || el.tagName !== 'SELECT') continue;
      const input = { source: 5, id: change.id, text, isChecked: false };
      if (this.usingVirtualDom) el.inputData = input;
      else this.applyInput(input);
    }
  };
  proto.hspSelects = true;
}

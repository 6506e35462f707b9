"use strict";
// Shows the steps that chainrule recorded (the JSON above); it computes no gradient itself.
// Text from the data goes in with textContent only, never as HTML.
(function () {
  const data = JSON.parse(document.getElementById("chainrule-data").textContent);
  const $ = (id) => document.getElementById(id);
  let view = 0;
  let step = 0;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function short(v) {
    if (typeof v !== "number") return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
  }

  // A vector is a column, as in the notes (a row when written transposed, xᵀ);
  // a batch is one sample per row.
  function rows(value, row) {
    if (!Array.isArray(value[0])) return row ? [value] : value.map((v) => [v]);
    return value;
  }

  // A heat map: red positive, blue negative, stronger for larger |v|; exact value on hover.
  function heat(value, small, row) {
    if (!Array.isArray(value)) {
      const s = el("span", "scalar", String(value));
      s.title = String(value);
      s.dataset.value = String(value);
      return s;
    }
    const r = rows(value, row);
    const max = Math.max(1e-300, ...r.flat().map((v) => Math.abs(v)));
    const table = el("table", "heat");
    for (const row of r) {
      const tr = el("tr");
      for (const v of row) {
        const td = el("td", null, small ? "" : short(v));
        const alpha = (0.85 * Math.abs(v)) / max;
        td.style.background = v >= 0 ? `rgba(214, 96, 77, ${alpha})` : `rgba(67, 147, 195, ${alpha})`;
        td.title = String(v);
        td.dataset.value = String(v);
        tr.appendChild(td);
      }
      table.appendChild(tr);
    }
    return table;
  }

  function slot(box, name, value, isGrad) {
    const s = el("div", isGrad ? "slot grad" : "slot");
    s.appendChild(el("span", "tag", name));
    s.appendChild(heat(value, true));
    box.appendChild(s);
  }

  function operand(name, value, id) {
    const o = el("div", "operand");
    if (id) o.id = id;
    o.appendChild(el("span", "tag", name));
    o.appendChild(heat(value, false, name.endsWith("ᵀ")));
    return o;
  }

  function render() {
    const trace = data.views[view].trace;
    const steps = trace.steps;
    step = Math.max(0, Math.min(step, steps.length));
    const done = steps.slice(0, step);
    const cur = step > 0 ? steps[step - 1] : null;
    const given = new Map(trace.inputs.map((i) => [i.name, i.value]));

    const graph = $("graph");
    graph.replaceChildren();
    trace.nodes.forEach((node, i) => {
      if (i > 0) graph.appendChild(el("span", "arrow", "→"));
      const box = el("div", "node");
      box.dataset.node = String(i);
      if (cur && cur.node === i) box.classList.add("current");
      box.appendChild(el("h2", null, node.label));
      const shape = node.shape.length ? `(${node.shape.join(", ")})` : "scalar";
      box.appendChild(el("div", "shape", `${node.output}: ${shape}`));
      const shown = i === 0 ? trace.inputs.slice(0, 2).map((g) => g.name) : node.params;
      for (const name of shown) slot(box, name, given.get(name), false);
      for (const s of done) if (s.node === i) slot(box, s.name, s.value, s.phase === "backward");
      graph.appendChild(box);
    });

    $("counter").textContent = `step ${step} / ${steps.length}`;
    $("prev").disabled = $("reset").disabled = step === 0;
    $("next").disabled = $("end").disabled = step === steps.length;
    const numbers = $("numbers");
    numbers.replaceChildren();
    if (!cur) {
      $("phase").textContent = "start";
      $("step-name").textContent = "";
      $("equation").textContent = "Press next ▶ (or →) to run the forward pass.";
      $("note").textContent = "";
      return;
    }
    $("phase").textContent = cur.phase;
    $("step-name").textContent = cur.name;
    $("equation").textContent = cur.equation;
    $("note").textContent = cur.note;
    numbers.appendChild(el("span", "op", "with"));
    cur.operands.forEach((o) => numbers.appendChild(operand(o.name, o.value)));
    numbers.appendChild(el("span", "op", "="));
    numbers.appendChild(operand(cur.name, cur.value, "result"));
  }

  function go(to) {
    step = to;
    render();
  }

  const views = $("views");
  if (data.views.length > 1) {
    data.views.forEach((v, i) => {
      const label = el("label");
      const radio = el("input");
      radio.type = "radio";
      radio.name = "view";
      radio.id = `view-${i}`;
      radio.checked = i === view;
      radio.addEventListener("change", () => { view = i; render(); });
      label.append(radio, ` ${v.label}`);
      views.appendChild(label);
    });
  }
  $("reset").addEventListener("click", () => go(0));
  $("prev").addEventListener("click", () => go(step - 1));
  $("next").addEventListener("click", () => go(step + 1));
  $("end").addEventListener("click", () => go(Infinity));
  document.addEventListener("keydown", (e) => {
    const moves = { ArrowRight: step + 1, ArrowLeft: step - 1, Home: 0, End: Infinity };
    if (e.key in moves) { e.preventDefault(); go(moves[e.key]); }
    if (e.key === "b" && data.views.length > 1) {
      view = (view + 1) % data.views.length;
      $(`view-${view}`).checked = true;
      render();
    }
  });
  render();
})();

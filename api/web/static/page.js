// After back/forward the browser may restore what was typed into the form before leaving this page;
// the answer below belongs to this page's own query, so show the form that produced it.
window.addEventListener("pageshow", () => {
  const form = document.getElementById("parcel");
  if (form) form.reset();
});

// The catalogue part: the chosen file is sent as the request body to POST /catalogue, whose answer is
// lines of JSON: progress while the file is priced, then the result (rows, bad lines, both files).
(() => {
  const section = document.getElementById("catalogue");
  const form = document.getElementById("upload");
  if (!section || !form) return;
  const words = JSON.parse(document.getElementById("catalogue-words").textContent);
  const status = document.getElementById("upload-status");
  const bar = status.querySelector("progress");
  const state = status.querySelector(".state");
  const result = document.getElementById("upload-result");
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, k) => values[k]);
  const value = (id) => { const e = document.getElementById(id); return e ? e.value : ""; };
  const number = (n) => Number(n).toLocaleString(document.documentElement.lang);

  function blobUrl(b64, type) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return URL.createObjectURL(new Blob([bytes], { type }));
  }

  function cell(tag, text, numeric) {
    const c = document.createElement(tag);
    c.textContent = text;
    if (numeric) c.className = "num";
    return c;
  }

  function sortable(table, rows, columns) {
    let by = -1, up = true;
    const numeric = columns.map((_, i) => rows.every((r) => r[i] === "" || !isNaN(Number(r[i]))));
    const head = table.tHead, body = table.tBodies[0];
    head.replaceChildren();
    const tr = document.createElement("tr");
    columns.forEach((col, i) => {
      const th = cell("th", words.columns[col] || col, numeric[i]);
      th.scope = "col";
      th.dataset.column = col;
      th.tabIndex = 0;
      const sort = () => {
        up = by === i ? !up : true;
        by = i;
        head.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        draw();
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") sort(); });
      tr.append(th);
    });
    head.append(tr);
    function draw() {
      const shown = rows.slice();
      if (by >= 0) {
        shown.sort((a, b) => {
          const x = a[by], y = b[by];
          const d = numeric[by] ? (x === "" ? Infinity : Number(x)) - (y === "" ? Infinity : Number(y)) : x.localeCompare(y);
          return up ? d : -d;
        });
      }
      body.replaceChildren(...shown.map((r) => {
        const row = document.createElement("tr");
        r.forEach((v, i) => {
          if (columns[i] !== "tied_with" || !v) { row.append(cell("td", v, numeric[i])); return; }
          const tied = cell("td", "+" + v.split(", ").length, true);  // the list itself: on hover and in the files
          tied.title = v;
          tied.className = "num tied";
          row.append(tied);
        });
        return row;
      }));
    }
    draw();
  }

  function show(answer) {
    const s = answer.summary;
    result.querySelector(".summary").textContent = fill(words.summary, { rows: number(s.rows), costed: number(s.costed), failed: number(s.failed) });
    const reasons = result.querySelector(".reasons");
    reasons.replaceChildren(...(s.reasons.length ? [cell("li", words.reasons)] : []),
      ...s.reasons.map(([why, n]) => cell("li", `${number(n)} × ${why}`)));
    document.getElementById("dl-xlsx").href = blobUrl(answer.xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    document.getElementById("dl-csv").href = blobUrl(answer.csv, "text/csv");
    result.querySelector(".bad-dl").hidden = !answer.errors.length;
    if (answer.errors.length) document.getElementById("dl-errors").href = blobUrl(answer.errors_csv, "text/csv");
    const index = words.shown.map((c) => answer.header.indexOf(c)).filter((i) => i >= 0);
    const table = document.getElementById("catalogue-table");
    table.dataset.rows = String(answer.rows.length);
    sortable(table, answer.rows.map((r) => index.map((i) => r[i])), index.map((i) => answer.header[i]));
    const bad = document.getElementById("bad-lines");
    bad.hidden = !answer.errors.length;
    bad.querySelector("summary").textContent = fill(words.bad, { n: number(answer.errors.length) });
    bad.querySelector("tbody").replaceChildren(...answer.errors.map((e) => {
      const row = document.createElement("tr");
      row.dataset.line = e.line;
      [e.line, e.sku || "", e.column, e.value || "", e.reason].forEach((v, i) => row.append(cell("td", v, i === 0)));
      return row;
    }));
    result.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("f-file").files[0];
    result.hidden = true;
    if (!file) { state.textContent = words.choose; return; }
    if (file.size > Number(section.dataset.limit)) { state.textContent = words.too_big; return; }
    const query = new URLSearchParams({
      name: file.name, fx: value("f-fx"), scheme: value("f-scheme"), return_rate: value("f-return_rate"),
      date: value("f-date"), lang: section.dataset.lang,
    });
    bar.hidden = false;
    bar.removeAttribute("value");
    state.textContent = words.reading;
    section.dataset.state = "pricing";
    try {
      const response = await fetch("/catalogue?" + query, { method: "POST", body: file, headers: { "Content-Type": file.type || "application/octet-stream" } });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        throw new Error(problem.message || words.failed);
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (chunk) buffer += decoder.decode(chunk, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n")) >= 0) {
          const message = JSON.parse(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 1);
          if (message.type === "progress") {
            bar.max = Math.max(message.total, 1);
            bar.value = message.done;
            state.textContent = fill(words.pricing, { done: number(message.done), total: number(message.total) });
          } else if (message.type === "error") {
            throw new Error(message.message);
          } else if (message.type === "result") {
            bar.value = bar.max;
            state.textContent = "";
            show(message);
          }
        }
        if (done) break;
      }
      section.dataset.state = "done";
    } catch (error) {
      state.textContent = error.message;
      section.dataset.state = "error";
    } finally {
      bar.hidden = true;
    }
  });
})();

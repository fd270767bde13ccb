// After back/forward the browser may restore what was typed into the form before leaving this page;
// the answer below belongs to this page's own query, so show the form that produced it.
window.addEventListener("pageshow", () => {
  const form = document.getElementById("parcel");
  if (form) form.reset();
});

// Draws every <pre class="mermaid"> as an SVG with the local Mermaid copy loaded before.
document.addEventListener("DOMContentLoaded", () => {
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
  mermaid.run({ querySelector: "pre.mermaid" });
});

// Loaded on every page of the book, before Sphinx's searchtools.js.

// Opened from disk (file://, e.g. a USB stick), the browser blocks the requests that fetch a
// preview of each search result: list the results without previews instead of failing.
if (window.location.protocol === "file:") {
  DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
}

// Chinese has no spaces between words. The index holds the words jieba cut the pages into
// (with the course glossary as its dictionary). A Chinese query word that the index does not
// hold, such as "对抗训练", is cut into the fewest indexed words that make it up exactly
// ("对抗", "训练"), and the search asks for all of them; a word that cannot be made up of
// indexed words is left whole, and finds nothing. searchtools.js keeps a splitQuery
// defined before it.
var splitQuery = (query) => {
  const words = query
    .split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)
    .filter((word) => word);
  const terms = (Search._index && Search._index.terms) || {};
  return words.flatMap((word) => (/\p{Script=Han}/u.test(word) ? cutWord(word, terms) : [word]));
};

function cutWord(word, terms) {
  const indexed = (piece) => piece.length > 1 && piece.toLowerCase() in terms;
  if (indexed(word)) return [word];
  // best[end]: the fewest indexed words that make up word.slice(0, end), or null.
  const best = [[]];
  for (let end = 1; end <= word.length; end += 1) {
    best[end] = null;
    for (let start = 0; start < end - 1; start += 1) {
      const piece = word.slice(start, end);
      if (best[start] && indexed(piece) && (!best[end] || best[start].length + 1 < best[end].length)) {
        best[end] = [...best[start], piece];
      }
    }
  }
  return best[word.length] || [word];
}

// Sphinx 8.2 reports the number of search results with a new sentence that its Chinese
// catalogue (translations.js, loaded just before this file) does not translate yet, so the
// summary came out in English. Add it; ngettext looks up the singular form only.
if (typeof Documentation !== "undefined" && /^zh/.test(Documentation.LOCALE)) {
  Documentation.addTranslations({
    locale: Documentation.LOCALE,
    plural_expr: "0",
    messages: {
      "Search finished, found one page matching the search query.": [
        "搜索完成，匹配到 ${resultCount} 页。",
      ],
    },
  });
}

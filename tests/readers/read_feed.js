// A feed as podcast-partytime (Podcast Index's own parser) reads it, as JSON on stdout:
// node tests/readers/read_feed.js feed.xml
const { parseFeed } = require("podcast-partytime");
const fs = require("fs");

const feed = parseFeed(fs.readFileSync(process.argv[2], "utf8"), { allowMissingGuid: true });
if (!feed) {
  process.stderr.write("podcast-partytime could not parse the feed\n");
  process.exit(1);
}
process.stdout.write(JSON.stringify({
  title: feed.title,
  language: feed.language,
  txt: feed.podcastTxt || [],
  items: feed.items.map((item) => ({
    title: item.title,
    description: item.description,
    enclosure: item.enclosure,
    alternates: item.alternativeEnclosures || [],
    transcripts: item.podcastTranscripts || [],
    txt: item.podcastTxt || [],
  })),
}));

/** The page's CSS: dark, compact, the screen centred and pixel-crisp. */
export const STYLE = `
  body { margin: 0; background: #16181d; color: #d8dbe2; font: 14px system-ui, sans-serif; }
  .co86 { max-width: 1500px; margin: 0 auto; padding: 8px 16px 24px; }
  header { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 18px; margin: 0; letter-spacing: 0.05em; }
  .toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
  .toolbar .sep { width: 10px; }
  button, .button { background: #2a2e37; color: #e4e6eb; border: 1px solid #3b404c; border-radius: 4px;
                    padding: 4px 10px; font: inherit; cursor: pointer; }
  button:hover:not(:disabled), .button:hover { background: #353a46; }
  button:disabled { opacity: 0.45; cursor: default; }
  button.key { font-family: ui-monospace, monospace; font-size: 12px; }
  .screen-box { display: flex; justify-content: center; align-items: center; margin-top: 10px; }
  .screen-box:fullscreen { background: #000; }
  .screen { display: block; image-rendering: pixelated; outline: none; background: #000; }
  .screen:focus { box-shadow: 0 0 0 2px #4c8bf5; }
  .status { font-size: 13px; color: #9aa0ad; margin: 6px 0; font-variant-numeric: tabular-nums; }
  .hint { color: #6f7584; }
  .progress { width: 100%; height: 6px; margin-top: 8px; }
  .error { background: #4a1d1f; border: 1px solid #8c3a3e; color: #ffd9d9; padding: 8px 10px; border-radius: 4px; margin: 8px 0 0; }
  .notice { background: #1d2f4a; border: 1px solid #2f4d7a; padding: 6px 10px; border-radius: 4px; margin: 8px 0 0; }
  .panel { background: #1f2229; border: 1px solid #3b404c; border-radius: 6px; padding: 10px 14px; margin-top: 10px; }
  .panel h2 { font-size: 15px; margin: 0 0 8px; }
  .panel fieldset { border: 1px solid #3b404c; border-radius: 4px; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
  .panel .row { display: flex; gap: 8px; flex-wrap: wrap; margin: 6px 0; }
  .problem { color: #ff9a9a; margin: 0; }
  details { margin-top: 8px; }
  summary { cursor: pointer; color: #9aa0ad; }
  .serial { height: 260px; margin-top: 6px; }
`;

/**
 * Sessions: share one VM with several people (docs/PROTOCOL.md, "Sessions").
 *
 * Host:  const s = hostSession({ source, onInput }); s.link → the join link; s.viewLink → view-only.
 * Guest: const g = joinSession(location.href, { onFrame }); g.requestControl(); g.screenText().
 * UI:    <SessionPanel session={s or g} />, <GuestScreen session={g} />.
 */
export { hostSession, joinSession, parseLink, formatLink, HostSession, GuestSession, type SessionLink, type SessionState, type Presence, type HostSessionOptions, type JoinOptions } from './session.js';
export { type ControlMode, type ControlState, type InputEvent, type Role, CONTROL_MODES } from './control.js';
export { ScreenHost, ScreenView, type ScreenSource, type ScreenChannel } from './screen.js';
export { PostedScreen } from './posted-screen.js';
export { SessionPanel, GuestScreen } from './panel.js';
export { sessionHandle, type SessionHandle } from './handle.js';
export { HostSharing, GuestApp, isGuestPage } from './app.js';

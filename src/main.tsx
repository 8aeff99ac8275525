import { render } from 'preact';
import { App } from './ui/App.js';

render(<App />, document.getElementById('app')!);

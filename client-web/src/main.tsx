// Entry point of the web client: the editor of SPEC §13.

import { createRoot } from 'react-dom/client';

import { App } from './ui/App';
import './ui/styles.css';

createRoot(document.getElementById('app')!).render(<App />);
